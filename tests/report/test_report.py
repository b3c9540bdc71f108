"""Tests of the HTML report (distscale.report) and the ``distscale report`` command.

Reference values: the page's numbers are checked against plain pandas
computations on the raw table (fractions of successful seeds, means per
scale), the decomposition of the mean against hand-computed cases and the
identity ``mean = p ms + (1 - p) mf``, the tables against each result's own
``to_frame()``, and self-containedness by parsing the page with the
standard library's HTML parser.
"""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import distscale
from distscale import make_report
from distscale.cli import main
from distscale.describe import decompose_mean
from tests._helpers import bimodal_frame

FIGURES = (
    "distributions",
    "summary_curves",
    "modality_scan",
    "success_curve",
    "per_seed_emergence",
    "trends",
    "inverse_scaling",
    "distribution_shift",
    "law",
    "threshold_sensitivity",
)
TABLES = (
    "summary_curves",
    "mean_decomposition",
    "modality_scan",
    "success_curve",
    "per_seed_emergence",
    "trend_success",
    "trend_failure",
    "monotonicity",
    "inverse_scaling",
    "distribution_shift",
    "curve_emergence",
    "next_scale_outlook",
    "threshold_sensitivity",
)




class _Links(HTMLParser):
    """Every tag, and every attribute that loads or links something."""

    def __init__(self):
        super().__init__()
        self.tags, self.links, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action", "xlink:href"):
                self.links.append((tag, name, value or ""))
            if tag == "img" and name == "src":
                self.images.append(value)


@pytest.fixture(scope="module")
def frame():
    return bimodal_frame()


@pytest.fixture(scope="module")
def report(frame, tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    return make_report(
        frame, scale="depth", seed="seed", value="exact_match", threshold=0.5, bounds=(0, 1),
        out_dir=out, n_resamples=100, rng=3, progress=False,
    )  # fmt: skip


def _same_table(read: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(read.columns) == list(expected.columns)
    assert len(read) == len(expected)
    for col in expected.columns:
        e = expected[col]
        r = read[col]
        if pd.api.types.is_numeric_dtype(e.dtype) and not pd.api.types.is_bool_dtype(e.dtype):
            # CSV keeps floats exactly (shortest repr), so equality is exact
            np.testing.assert_array_equal(r.to_numpy(dtype=float), e.to_numpy(dtype=float))
        else:
            as_text = lambda s: s.astype(object).where(s.notna(), "").astype(str)  # noqa: E731
            assert as_text(r).tolist() == as_text(e).tolist(), col


# ------------------------------------------------------------------------ files
def test_writes_every_file(report):
    assert report.html == report.out_dir / "report.html" and report.html.is_file()
    names = {p.name for p in report.figures}
    assert names == {f"{f}.{ext}" for f in FIGURES for ext in ("png", "svg")}
    for path in report.figures:
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert b"<svg" in data[:2000]
    assert set(report.tables) == set(TABLES) == set(report.results)
    assert report.notes == ()  # clean data: no analysis complained


def test_tables_read_back_equal_to_frames(report):
    for key, path in report.tables.items():
        assert path == report.out_dir / "tables" / f"{key}.csv"
        _same_table(pd.read_csv(path), report.results[key].to_frame())


def test_page_is_self_contained(report):
    page = report.html.read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(page)
    # nothing loaded from anywhere: images are data: URIs, links are in-page anchors
    for tag, name, value in parser.links:
        if name == "href":
            assert value.startswith("#"), (tag, value)
        else:
            assert value.startswith("data:image/png;base64,"), (tag, value[:50])
    assert "link" not in parser.tags and "script" not in parser.tags
    assert "iframe" not in parser.tags
    assert not re.search(r"https?://", page.replace("http://www.w3.org/", ""))
    assert "@import" not in page and "url(" not in page
    # one embedded image per figure, and it is the PNG written beside the page
    assert len(parser.images) == len(FIGURES)
    files = {p.read_bytes() for p in report.figures if p.suffix == ".png"}
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in parser.images}
    assert embedded == files


def test_summary_sentences_are_on_the_page_and_match_pandas(report, frame):
    page = report.html.read_text(encoding="utf-8")
    for sentence in report.summary:
        assert html.escape(sentence, quote=True) in page
    text = " ".join(report.summary)
    # P(success) at the smallest and largest scale, from pandas
    p = frame.assign(ok=frame.exact_match > 0.5).groupby("depth")["ok"].mean()
    assert f"({100 * p.iloc[0]:.0f}% → {100 * p.iloc[-1]:.0f}% of seeds succeed)" in text
    mean = frame.groupby("depth")["exact_match"].mean()
    assert f"rises from {mean.iloc[0]:.3g} at depth = 2 to {mean.iloc[-1]:.3g} at 16" in text
    # the capacity threshold named is the scan's
    scan = report.results["modality_scan"]
    assert scan.capacity_threshold is not None
    assert f"first bimodal at depth = {scan.capacity_threshold:g}" in text
    # the decomposition verdict: most of the change is P(success) on these data
    assert "The jump in the mean is explained by P(success)" in text
    assert str(report.results["inverse_scaling"].verdict) in text


def test_names_are_escaped(frame, tmp_path):
    """Column names and the title reach the page as text, never as markup."""
    evil = '<img src="x" onerror="alert(1)">'
    rep = make_report(
        frame.rename(columns={"exact_match": evil}), scale="depth", seed="seed", value=evil,
        threshold=0.5, out_dir=tmp_path, n_resamples=50, title="<script>alert(2)</script>",
        progress=False,
    )  # fmt: skip
    page = rep.html.read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(page)
    assert "script" not in parser.tags
    assert len(parser.images) == len(FIGURES)  # only the figures are images
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert html.escape(evil) in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_same_rng_same_bytes(report, frame, tmp_path):
    again = make_report(
        frame, scale="depth", seed="seed", value="exact_match", threshold=0.5, bounds=(0, 1),
        out_dir=tmp_path, n_resamples=100, rng=3, progress=False,
    )  # fmt: skip
    assert again.html.read_bytes() == report.html.read_bytes()
    for key in TABLES:
        assert again.tables[key].read_bytes() == report.tables[key].read_bytes()
    for a, b in zip(sorted(again.figures), sorted(report.figures), strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_polypythias_lower_is_better(tmp_path, capsys):
    """A real population with a loss: degenerate groups become notes, not failures."""
    state = np.random.get_state()  # noqa: NPY002 (checking the global state)
    pop = distscale.datasets.load_polypythias()
    rep = make_report(
        pop, value="mean_bigram_loss", threshold=7.5, higher_is_better=False,
        out_dir=tmp_path, n_resamples=100, progress=True,
    )  # fmt: skip
    after = np.random.get_state()  # noqa: NPY002 (checking the global state)
    assert after[1].tolist() == state[1].tolist()  # global RNG untouched
    err = capsys.readouterr().err
    assert "distscale report: [1/15] summary curves" in err and "wrote" in err
    # every 70m+ seed has loss < 7.5 (checked with pandas): failed runs exist at one scale only
    raw = distscale.datasets.load_polypythias(as_frame=True)
    fails = raw.loc[raw.mean_bigram_loss >= 7.5, "params"].unique()
    assert len(fails) == 1
    assert "trend_failure" not in rep.results
    assert any(n.startswith("trend of failed runs: not computed") for n in rep.notes)
    page = rep.html.read_text(encoding="utf-8")
    assert "mean_bigram_loss &lt; 7.5" in page
    assert html.escape(rep.notes[0]) in page
    for key, path in rep.tables.items():
        _same_table(pd.read_csv(path), rep.results[key].to_frame())


def test_quiet_progress(frame, tmp_path, capsys):
    small = frame[frame.depth <= 4]  # two scales: per-seed curves cannot be scored
    rep = make_report(
        small, scale="depth", seed="seed", value="exact_match", threshold=0.5,
        out_dir=tmp_path, n_resamples=50, progress=False,
    )  # fmt: skip
    assert capsys.readouterr().err == ""
    assert "per_seed_emergence" not in rep.results
    assert any("per-seed emergence: not computed" in n for n in rep.notes)
    assert "Single seeds" not in rep.html.read_text(encoding="utf-8")


# --------------------------------------------------------------- decomposition
def test_decomposition_hand_computed():
    # scale 1: p = 1/4, ms = 0.8, mf = 0.1; scale 2: p = 3/4, ms = 0.9, mf = 0.2.
    # mean: 0.275 -> 0.725 (+0.45). Midpoints: p̄ = 0.5, gap (ms - mf) = 0.7 at both.
    # P(success): 0.7 * 0.5 = 0.35; success: 0.5 * 0.1 = 0.05; failure: 0.5 * 0.1 = 0.05.
    pop = distscale.Population.from_dict(
        {1: [0.1, 0.1, 0.1, 0.8], 2: [0.2, 0.9, 0.9, 0.9]}, metric="acc"
    )
    res = decompose_mean(pop, threshold=0.5, n_resamples=50, rng=0)
    np.testing.assert_allclose(res.estimates[-1], [0.45, 0.35, 0.05, 0.05], atol=1e-12)
    assert res.share == pytest.approx(0.35 / 0.45)
    # lower is better swaps the groups: p = 3/4 -> 1/4, ms = 0.1 -> 0.2, mf = 0.8 -> 0.9;
    # gap -0.7 times the change -0.5 is again +0.35 (fewer low runs raise the mean)
    low = decompose_mean(pop, threshold=0.5, higher_is_better=False, n_resamples=50, rng=0)
    np.testing.assert_allclose(low.estimates[-1], [0.45, 0.35, 0.05, 0.05], atol=1e-12)
    assert low.share == pytest.approx(0.35 / 0.45)


def test_decomposition_identity_on_random_data():
    rng = np.random.default_rng(5)
    data = {s: rng.random(int(rng.integers(3, 12))) for s in (1, 2, 5, 9, 20)}
    data[2] = rng.random(6) * 0.4  # no success at all at scale 2 (gap filled from scale 1)
    res = decompose_mean(distscale.Population.from_dict(data), threshold=0.5,
                         n_resamples=50, rng=1)  # fmt: skip
    est = res.estimates
    np.testing.assert_allclose(est[:, 0], est[:, 1:].sum(axis=1), atol=1e-12)
    means = np.array([data[s].mean() for s in sorted(data)])
    np.testing.assert_allclose(est[:-1, 0], np.diff(means), atol=1e-12)
    assert est[-1, 0] == pytest.approx(means[-1] - means[0])
    frame = res.to_frame()
    assert frame.columns.tolist() == ["scale_from", "scale_to", "part", "estimate", "ci_low",
                                      "ci_high"]  # fmt: skip
    assert (frame.ci_low <= frame.estimate + 1e-12).all()
    assert (frame.estimate <= frame.ci_high + 1e-12).all()


def test_decomposition_needs_two_scales():
    with pytest.raises(ValueError, match="at least 2 scales"):
        decompose_mean(distscale.Population.from_dict({1: [0.1, 0.9]}), threshold=0.5)


# -------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"bounds": (1, 0)}, ValueError, "`bounds` must have lo < hi"),
        ({"bounds": (0.3, 1)}, ValueError, "outside `bounds`"),
        ({"bounds": 5}, TypeError, "`bounds` must be a pair"),
        ({"threshold": "high"}, TypeError, "`threshold` must be a real number"),
        ({"threshold": float("nan")}, ValueError, "`threshold` must be finite"),
        ({"n_resamples": 1}, ValueError, "`n_resamples` must be at least 2"),
        ({"alpha": 1.5}, ValueError, "`alpha`"),
        ({"value": "nope"}, ValueError, "'nope'"),
        ({"title": 3}, TypeError, "`title`"),
    ],
)
def test_make_report_bad_arguments(frame, tmp_path, kwargs, error, match):
    args = {"scale": "depth", "seed": "seed", "value": "exact_match", "threshold": 0.5,
            "out_dir": tmp_path, "progress": False, **kwargs}  # fmt: skip
    with pytest.raises(error, match=match):
        make_report(frame, **args)
    assert not (tmp_path / "report.html").exists()


def test_make_report_population_needs_one_metric(tmp_path):
    pop = distscale.datasets.load_polypythias()
    with pytest.raises(ValueError, match="choose one with `value=`"):
        make_report(pop, threshold=7.5, out_dir=tmp_path)
    with pytest.raises(ValueError, match="`scale`='depth' does not match"):
        make_report(pop, scale="depth", value="mean_bigram_loss", threshold=7.5,
                    out_dir=tmp_path)  # fmt: skip


# ---------------------------------------------------------------------- CLI
@pytest.fixture
def runs_csv(frame, tmp_path):
    path = tmp_path / "runs.csv"
    frame.rename(columns={"exact_match": "acc"}).to_csv(path, index=False)
    return path


def _cli_error(capsys, argv):
    rc = main(argv)
    captured = capsys.readouterr()
    assert rc == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("distscale report: error: ")
    assert "Traceback" not in captured.err
    return lines[0]


def test_cli_report_runs(runs_csv, tmp_path, capsys):
    out = tmp_path / "rep"
    rc = main(["report", str(runs_csv), "--scale", "depth", "--seed", "seed", "--value", "acc",
               "--threshold", "0.5", "--bounds", "0", "1", "--out", str(out),
               "--resamples", "50", "--seed-rng", "1"])  # fmt: skip
    assert rc == 0
    captured = capsys.readouterr()
    assert f"wrote {out / 'report.html'}" in captured.out
    assert "distscale report: [15/15]" in captured.err  # progress lines on stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f"Data: {html.escape(str(runs_csv))}" in page
    assert "<code>acc</code> in [0, 1]" in page
    assert sorted(p.name for p in (out / "tables").iterdir()) == sorted(f"{t}.csv" for t in TABLES)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["MISSING", "--scale", "depth", "--seed", "seed", "--value", "acc", "--threshold", "0.5"],
         "PATH '{missing}': no such file"),
        (["CSV", "--scale", "depth", "--seed", "seed", "--value", "nope", "--threshold", "0.5"],
         "--value 'nope': no such column in PATH '{csv}'"),
        (["CSV", "--scale", "size", "--seed", "seed", "--value", "acc", "--threshold", "0.5"],
         "--scale 'size': no such column"),
        (["CSV", "--scale", "depth", "--seed", "seed", "--value", "acc", "--threshold", "high"],
         "--threshold must be a number; got 'high'"),
        (["CSV", "--scale", "depth", "--seed", "seed", "--value", "acc", "--threshold", "0.5",
          "--bounds", "1", "0"], "--bounds LO HI needs LO < HI"),
        (["CSV", "--scale", "depth", "--seed", "seed", "--value", "acc", "--threshold", "0.5",
          "--bounds", "0.3", "1"], "--bounds: "),
        (["CSV", "--threshold", "0.5"],
         "with PATH, these options are required: --scale, --seed, --value"),
        (["CSV", "--scale", "depth", "--seed", "seed", "--value", "acc"],
         "these options are required: --threshold"),
        (["BAD", "--scale", "depth", "--seed", "seed", "--value", "acc", "--threshold", "0.5"],
         "PATH '{bad}': could not read"),
        (["CSV", "--scale", "depth", "--seed", "seed", "--value", "acc", "--threshold", "0.5",
          "--resamples", "many"], "--resamples must be a whole number"),
        (["CSV", "--scale", "depth", "--seed", "seed", "--value", "acc", "--threshold", "0.5",
          "--out", "CSV"], "is a file; the report needs a folder"),  # was "cannot write --out"
    ],
)  # fmt: skip
def test_cli_report_errors(runs_csv, tmp_path, capsys, args, expected):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"\x00not a parquet file")
    paths = {"MISSING": str(tmp_path / "nope.csv"), "CSV": str(runs_csv), "BAD": str(bad)}
    argv = ["report", *(paths.get(a, a) for a in args), "--quiet"]
    line = _cli_error(capsys, argv)
    want = expected.format(missing=paths["MISSING"], csv=paths["CSV"], bad=paths["BAD"])
    assert want in line


def _bundled_missing() -> bool:
    """True while the bundled count population (loader or data file) is not there yet."""
    loader = getattr(distscale.datasets, "load_count_population", None)
    if loader is None:
        return True
    try:
        loader(as_frame=True)
    except FileNotFoundError:
        return True
    return False


BUNDLED_MISSING = _bundled_missing()
needs_bundled = pytest.mark.skipif(
    BUNDLED_MISSING, reason="the bundled count population is not there yet"
)


@needs_bundled
def test_cli_report_default_bundled(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc = main(["report", "--resamples", "200", "--quiet"])
    assert rc == 0
    html_path = Path("distscale-report") / "report.html"
    assert html_path.is_file()
    defaults = distscale.datasets.COUNT_POPULATION_DEFAULTS
    page = html_path.read_text(encoding="utf-8")
    rule = f"{defaults['value']} {'&gt;' if defaults.get('higher_is_better', True) else '&lt;'}"
    assert f"{rule} {defaults['threshold']:g}" in page
    frame = distscale.datasets.load_count_population(as_frame=True)
    n_runs = len(frame.drop_duplicates([defaults["scale"], defaults["seed"]]))
    assert f"{n_runs} runs at {frame[defaults['scale']].nunique()} scales" in page


@needs_bundled
def test_cli_report_bundled_other_metric_needs_threshold(tmp_path, capsys):
    line = _cli_error(capsys, ["report", "--value", "nll", "--out", str(tmp_path), "--quiet"])
    assert "--value nll" in line and "--threshold" in line


def test_polypythias_checkpoints_paired(tmp_path):
    """The same 10 seeds at 18 checkpoints (PolyPythias 14m, real data): a paired report.

    P(success) (loss < 7.5, counted with pandas below) is 0 at the first
    checkpoints and 1 from step 1000 on, so most steps between scales are
    exactly flat and the BIG-bench breakthroughness is infinite: the page
    must say why instead of printing a bare ∞.
    """
    frame = distscale.datasets.load_polypythias(step=None, as_frame=True)
    frame = frame[(frame["model_size"] == "14m") & (frame["step"] > 0)]
    pop = distscale.Population(
        frame, scale="step", seed="seed", value="mean_bigram_loss", paired=True
    )
    rep = make_report(
        pop, threshold=7.5, higher_is_better=False, out_dir=tmp_path, n_resamples=100,
        rng=0, progress=False,
    )  # fmt: skip
    p = frame.assign(ok=frame.mean_bigram_loss < 7.5).groupby("step").ok.mean().to_numpy()
    flat = np.mean(np.diff(p) == 0)
    assert flat > 0.5  # the data's own property, from pandas
    page = rep.html.read_text(encoding="utf-8")
    assert "the same 10 seeds at every scale" in page.lower() or "paired design" in page
    assert "more than half of the steps between scales are exactly flat" in page


def test_threshold_sensitivity_section(report, frame):
    """The sweep includes the report's own threshold, and its observed fractions at that
    threshold are the summary curves' P(success) (counted here with pandas)."""
    res = report.results["threshold_sensitivity"]
    assert 0.5 in res.thresholds
    i = int(np.flatnonzero(res.thresholds == 0.5)[0])
    p = frame.assign(ok=frame.exact_match > 0.5).groupby("depth")["ok"].mean().to_numpy()
    np.testing.assert_allclose(res.p_observed[i], p)
    page = report.html.read_text(encoding="utf-8")
    assert "How the verdicts depend on the threshold" in page
    assert any(s.startswith("Threshold sensitivity (τ from") for s in report.summary)
