"""The report's section "What to expect at the next scale" (the law wired into make_report).

Reference: the section's numbers are the NextScaleOutlook's own (its
prediction, its backtest, its seed plan), which test_predictive.py,
test_backtest.py and test_planning.py check against outside truth; here the
page must show them, and the figure and table must be written.
"""

from __future__ import annotations

import html

import numpy as np
import pytest

from distscale.law.outlook import section_data
from distscale.report import make_report
from tests._helpers import bimodal_frame


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("law_report")
    return make_report(bimodal_frame(n_scales=5, n_seeds=24), scale="depth", seed="seed",
                       value="exact_match", threshold=0.5, bounds=(0, 1), out_dir=out,
                       n_resamples=50, rng=0, progress=False)


def test_section_figure_and_table(report):
    page = report.html.read_text(encoding="utf-8")
    assert "What to expect at the next scale" in page
    assert {p.name for p in report.figures} >= {"law.png", "law.svg"}
    assert "next_scale_outlook" in report.tables
    outlook = report.results["next_scale_outlook"]
    assert outlook.scale == pytest.approx(2 * 32)
    data = section_data(outlook)
    p = outlook.prediction.p_success()
    cell = data["prediction"]["rows"][0][1]
    assert cell["estimate"] == f"{float(p.estimate):.3g}"
    # the numbers the page shows are the outlook's own
    assert html.escape(cell["estimate"]) in page and html.escape(data["seeds"]) in page
    crps = outlook.backtest.to_frame().query("score == 'crps'")
    assert len(data["backtest"]["rows"]) == len(crps)
    assert np.isfinite(crps["value"]).all()
