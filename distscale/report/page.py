"""The HTML of the report page: tables, sections, and the self-contained document.

Part of :func:`distscale.report.make_report`; the words are in
:mod:`distscale._report_text`, the figures in :mod:`distscale._report_figures`.
Everything on the page is escaped except markup built here from numbers.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from distscale.report.figures import PNG_DPI, FigureFile
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
def write_tables(results: Mapping[str, object], folder: Path) -> dict[str, Path]:
    """Each result's ``to_frame()`` as ``folder/<name>.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, res in results.items():
        path = folder / f"{key}.csv"
        res.to_frame().to_csv(path, index=False)
        out[key] = path
    return out


def _table(frame: pd.DataFrame, scale_cols: tuple[str, ...] = ("scale",)) -> str:
    shown = frame.copy()
    for col in scale_cols:
        if col in shown.columns:
            shown[col] = [fmt_scale(v) for v in shown[col]]
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col].dtype):
            shown[col] = [fmt(v, 4) for v in shown[col]]
    shown.columns = [str(c).replace("_", " ") for c in shown.columns]  # headers can wrap
    return shown.to_html(index=False, escape=True, border=0, classes="table", na_rep="–")


class _Html(str):
    """Text that is already HTML (built here from numbers only)."""


def _with_ci(est: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[str]:
    """HTML cells: the estimate, and its interval on a second, smaller line."""
    return [
        "undefined"
        if math.isnan(e)
        else _Html(f'{fmt(e)}<span class="ci">[{fmt(a)}, {fmt(b)}]</span>')
        for e, a, b in zip(est, lo, hi, strict=True)
    ]

# =================================================================================== page
_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1d2330; background: #f6f7f9; margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 48px; background: #fff;
       box-shadow: 0 0 0 1px #e3e6ea; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.3em; margin-top: 2em; padding-bottom: 0.2em; border-bottom: 2px solid #e3e6ea; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
.meta { color: #555d6b; margin: 0.2em 0 1em; }
.summary { background: #f0f6ff; border-left: 4px solid #2f6fdf; padding: 0.6em 1.2em 0.6em 2em;
           border-radius: 4px; }
.summary li { margin: 0.35em 0; }
nav ol { columns: 2; margin: 0.5em 0; }
figure { margin: 1em 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto;
             border: 1px solid #e3e6ea; border-radius: 4px; }
figcaption { color: #555d6b; font-size: 0.92em; margin-top: 0.4em; text-align: center; }
.explain { color: #333a46; }
.tablewrap { overflow-x: auto; }
table.table { border-collapse: collapse; font-size: 0.86em; margin: 0.6em 0;
              font-variant-numeric: tabular-nums; }
table.table th, table.table td { padding: 3px 9px; border-bottom: 1px solid #e3e6ea;
                                 text-align: right; white-space: nowrap; }
table.table th { background: #f3f4f6; text-align: center; white-space: normal;
                 vertical-align: bottom; }
table.table td .ci { display: block; color: #6a7280; font-size: 0.88em; }
table.table tbody tr:nth-child(even) { background: #fafbfc; }
details { margin: 0.6em 0; }
summary { cursor: pointer; color: #2f5fb3; }
.notes li { color: #6b4b00; }
pre { background: #f3f4f6; padding: 0.8em 1em; border-radius: 4px; overflow-x: auto; }
code { font-size: 0.92em; }
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _figure_html(fig: FigureFile | None) -> str:
    if fig is None:
        return ""
    data = base64.b64encode(fig.png_bytes).decode("ascii")
    return (
        f'<figure id="fig-{_esc(fig.name)}"><img src="data:image/png;base64,{data}" '
        f'alt="{_esc(fig.title)}" width="{_png_width(fig.png_bytes)}">'
        f"<figcaption>{_esc(fig.title)}. {_esc(fig.caption)} "
        f"(<code>figures/{_esc(fig.name)}.png</code>, <code>.svg</code>)</figcaption></figure>"
    )


def _png_width(data: bytes) -> int:
    """CSS width: the PNG's pixel width at 96 CSS px per inch (IHDR width, bytes 16-20)."""
    return round(int.from_bytes(data[16:20], "big") * 96 / PNG_DPI)


def _raw_table(columns: dict[str, list]) -> str:
    """A table from columns of cells; cells are escaped unless they are :class:`_Html`."""
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    cells = [[v if isinstance(v, _Html) else _esc(v) for v in col] for col in columns.values()]
    rows = "".join(
        "<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in zip(*cells, strict=True)
    )
    return f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _wrap(table_html: str) -> str:
    return f'<div class="tablewrap">{table_html}</div>'


def _details(label: str, body: str) -> str:
    return f"<details><summary>{_esc(label)}</summary>{body}</details>"


def _sec_summary_curves(ctx: Context) -> str:
    res = ctx.results["summary_curves"]
    rows = {"scale": [fmt_scale(s) for s in res.scales], "n": res.n_seeds.tolist()}
    for j, name in enumerate(res.statistics):
        rows[name] = _with_ci(res.estimates[:, j], res.ci_low[:, j], res.ci_high[:, j])
    body = _wrap(_raw_table(rows))
    emerg = ctx.results.get("curve_emergence")
    if emerg is not None:
        body += "<h3>How sudden is each curve?</h3>"
        body += (
            "<p class='explain'>BIG-bench scores of each curve (Srivastava et al. 2022): "
            "linearity is high when the change is spread evenly over the scales, "
            "breakthroughness when it happens in one big step.</p>"
        )
        body += _wrap(_table(emerg.to_frame(), ()))
    return body


def _sec_decomposition(ctx: Context) -> str:
    dec = ctx.results["mean_decomposition"]
    labels = {
        "change": "change of the mean",
        "p_success": "from P(success)",
        "mean_success": "from successful runs",
        "mean_failure": "from failed runs",
    }
    rows: dict[str, list[str]] = {
        "from": [fmt_scale(s) for s in dec.scale_from],
        "to": [fmt_scale(s) for s in dec.scale_to],
    }
    for j, part in enumerate(labels):
        rows[labels[part]] = _with_ci(dec.estimates[:, j], dec.ci_low[:, j], dec.ci_high[:, j])
    n = len(dec.scale_from)
    rows = {"step": ["successive"] * (n - 1) + ["smallest → largest"], **rows}
    return (
        "<p class='explain'>The mean is P(success) × mean | success + (1 − P(success)) × "
        "mean | failure. Between two scales its change splits exactly into three parts: runs "
        "moving from the failed to the successful group (the gap between the group means "
        "times the change of P(success)), successful runs changing, and failed runs changing "
        f"(each weighted by the group's average share). Brackets: {pct(dec.confidence_level)} "
        "seed-bootstrap intervals.</p>" + _wrap(_raw_table(rows))
    )  # fmt: skip


def _sec_modality(ctx: Context) -> str:
    scan = ctx.results["modality_scan"]
    wide = scan.per_scale()
    body = (
        "<p class='explain'>At each scale: Hartigan's dip test, Sarle's bimodality "
        "coefficient, and Gaussian mixtures with one and two components"
        + (f" (point masses at the bounds {ctx.bounds[0]:g} and {ctx.bounds[1]:g})"
           if ctx.bounds else "")
        + f". A scale is bimodal when the likelihood-ratio test of two against one component, "
        f"Holm-adjusted over the scales, has p ≤ {ctx.alpha:g}"
        + ("" if min_sep(scan) is None else
           " and the two components are well separated (<code>separation</code>: Ashman's D, "
           f"at least {min_sep(scan)} at its estimate and at the lower end of its interval; "
           "one skewed mode also fails a one-Gaussian fit)")
        + "; the capacity threshold is the smallest such scale.</p>"
    )  # fmt: skip
    keep = [c for c in ("scale", "n_seeds", "dip_pvalue", "bimodality_coefficient",
                        "n_components", "lrt_pvalue", "adjusted_pvalue", "separation", "bimodal",
                        "degenerate", "p_success") if c in wide.columns]  # fmt: skip
    body += _wrap(_table(wide[keep]))
    body += "<p class='explain'>All columns: <code>tables/modality_scan.csv</code>.</p>"
    comp = scan.components
    if len(comp):
        body += _details("Mixture components (weights, means, sds with CIs)", _wrap(_table(comp)))
    return body


def _sec_success(ctx: Context) -> str:
    sc = ctx.results["success_curve"]
    body = "<p class='explain'>" + _esc(x50_sentence(ctx) or "") + "</p>"
    body += _wrap(_table(sc.to_frame()))
    if len(sc.coef_names):
        body += _details("Coefficients", _wrap(_table(sc.coef_frame(), ())))
    return body


def _sec_seeds(ctx: Context) -> str:
    seeds = ctx.results["per_seed_emergence"]
    frame = seeds.to_frame()
    desc = frame[["linearity", "breakthroughness", "improvement"]].replace(
        [np.inf, -np.inf], np.nan
    ).describe(percentiles=[0.25, 0.5, 0.75]).T.reset_index(names="score")
    desc["count"] = desc["count"].astype(int)
    body = "<p class='explain'>" + _esc(seed_sentence(ctx) or "") + "</p>"
    body += _wrap(_table(desc, ()))
    body += _details(f"All {len(frame)} seeds", _wrap(_table(frame, ())))
    return body


def _sec_trends(ctx: Context) -> str:
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
    return (
        "<p class='explain'>Rank tests with every seed as a replicate; the effect size is "
        "Kendall-type concordance between scale and value (−1 to 1). The monotonicity test "
        "asks the reverse question: is there evidence that the mean is not monotone?</p>"
        + _wrap(_table(frame, ()))
    )


def _sec_inverse(ctx: Context) -> str:
    inv = ctx.results["inverse_scaling"]
    return f"<p><strong>{_esc(inv.verdict)}.</strong></p>" + _wrap(_table(inv.to_frame(), ()))


def _sec_shift(ctx: Context) -> str:
    shift = ctx.results["distribution_shift"]
    return "<p class='explain'>" + _esc(shift_sentence(ctx) or "") + "</p>" + _wrap(
        _table(shift.to_frame(), ("scale_from", "scale_to"))
    )


#: (id, heading, result needed, figure, body, what the section shows)
_SECTIONS: tuple[tuple[str, str, str, str | None, Callable[[Context], str] | None, str], ...] = (
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
)  # fmt: skip


def _bounds_text(bounds: tuple[float, float] | None) -> str:
    return f" in [{bounds[0]:g}, {bounds[1]:g}]" if bounds else ""


def _header(ctx: Context) -> tuple[str, str]:
    pop = ctx.pop
    title = ctx.title or f"distscale report: {ctx.metric} against {ctx.scale_name}"
    counts = [x.size for x in pop.values()]
    per = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}–{max(counts)}"
    meta = (
        f"{sum(counts)} runs at {len(counts)} scales of <code>{_esc(ctx.scale_name)}</code> "
        f"({_esc(', '.join(fmt_scale(s) for s in pop.scales))}), {per} seeds per scale "
        f"(seed column <code>{_esc(pop.seed)}</code>). Metric <code>{_esc(ctx.metric)}</code>"
        f"{_bounds_text(ctx.bounds)}; a run succeeds when "
        f"<code>{_esc(ctx.rule)}</code>."
    )
    if ctx.source:
        meta = f"Data: {_esc(ctx.source)}.<br>" + meta
    return title, meta


def _reproduce(ctx: Context) -> str:
    from distscale import __version__

    call = (
        f"make_report(pop, value={ctx.metric!r}, threshold={ctx.threshold!r}, "
        f"bounds={ctx.bounds!r}, higher_is_better={ctx.higher_is_better!r}, "
        f"n_resamples={ctx.n_resamples}, alpha={ctx.alpha!r}, rng={ctx.rng})"
    )
    return (
        f"<p>Made with distscale {_esc(__version__)}: <code>{_esc(call)}</code>. "
        "The same data, settings and integer <code>rng</code> give the same page. Beside this "
        "page: "
        "<code>figures/</code> (each figure as PNG and SVG) and <code>tables/</code> (each "
        "result's <code>to_frame()</code> as CSV).</p>"
    )


def render_page(
    ctx: Context, summary: list[str], notes: list[str], figures: list[FigureFile]
) -> str:
    """The self-contained HTML page."""
    title, meta = _header(ctx)
    figs = {f.name: f for f in figures}
    toc, body = [], []
    for sid, heading, needs, fig_name, make, what in _SECTIONS:
        if needs and needs not in ctx.results:
            continue
        fig = figs.get(fig_name) if fig_name else None
        content = make(ctx) if make is not None else ""
        if not (fig or content):
            continue
        toc.append(f'<li><a href="#{sid}">{_esc(heading)}</a></li>')
        body.append(
            f'<section id="{sid}"><h2>{_esc(heading)}</h2><p class="explain">{_esc(what)}</p>'
            f"{_figure_html(fig)}{content}</section>"
        )
    note_items = "".join(f"<li>{_esc(n)}</li>" for n in notes) or "<li>None.</li>"
    items = "".join(f"<li>{_esc(s)}</li>" for s in summary)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_esc(title)}</h1>\n<p class=\"meta\">{meta}</p>\n"
        f'<section id="summary"><h2>Summary</h2><ul class="summary">{items}</ul></section>\n'
        f"<nav><h2>Contents</h2><ol>{''.join(toc)}"
        '<li><a href="#notes">Notes from the analyses</a></li>'
        '<li><a href="#reproduce">Reproduce</a></li></ol></nav>\n'
        + "\n".join(body)
        + f'\n<section id="notes"><h2>Notes from the analyses</h2><ul class="notes">'
        f"{note_items}</ul></section>\n"
        f'<section id="reproduce"><h2>Reproduce</h2>{_reproduce(ctx)}</section>\n'
        "</main>\n</body>\n</html>\n"
    )
