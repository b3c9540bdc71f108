"""The package's shape: the public names, topic boundaries and module sizes (docs/architecture.md)."""

from __future__ import annotations

import ast
import importlib

import pytest

import distscale
from tests._helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "distscale"

#: Every name of ``distscale.__all__`` before the package was split into topics;
#: each must stay importable from ``distscale``.
NAMES_BEFORE_THE_SPLIT = (
    "BootstrapResult", "ComponentSelection", "ConfidenceInterval", "CurveEmergence",
    "DegenerateDataWarning", "DipTestResult", "DistributionShift", "DroppedRowsWarning",
    "EmergenceScores", "InverseScalingResult", "MetricComparison", "MetricVerdict",
    "MixtureFit", "ModalityScan", "MonotonicityTestResult", "NestedBootstrapResult",
    "PerSeedEmergence", "Population", "Report", "SuccessCurve", "SummaryCurves",
    "TrendTestResult", "__version__", "as_population", "bimodality_coefficient", "bootstrap",
    "breakthroughness", "compare_metrics", "curve_emergence", "datasets", "dip_statistic",
    "dip_test", "distribution_shift", "emergence_scores", "fit_mixture", "half_sample_mode",
    "inverse_scaling", "io", "linearity", "make_report", "metrics", "modality_scan",
    "monotonicity_test", "nested_bootstrap", "per_seed_emergence", "read_lm_eval",
    "read_lm_eval_samples", "read_population", "read_samples", "score_samples",
    "select_components", "success_curve", "summary_curves", "trend_test",
)  # fmt: skip


@pytest.mark.parametrize("name", NAMES_BEFORE_THE_SPLIT)
def test_public_name_is_importable(name):
    assert name in distscale.__all__
    assert getattr(distscale, name) is not None


def test_every_name_in_all_exists():
    missing = [n for n in distscale.__all__ if not hasattr(distscale, n)]
    assert missing == []


def _modules(package=PACKAGE):
    return sorted(package.rglob("*.py"))


def private_imports_across_topics(package=PACKAGE) -> list[str]:
    """``file:line from X import Y`` for each import of another topic's private module or name.

    A topic is the first folder (or module) under the package; ``_lib`` is
    shared by all topics, so its modules are not private, but its private
    names are.
    """
    found = []
    for path in _modules(package):
        topic = path.relative_to(package).with_suffix("").parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module):
                continue
            parts = node.module.split(".")
            if parts[0] != package.name or len(parts) < 2 or parts[1] == topic:
                continue
            private_module = any(p.startswith("_") and p != "_lib" for p in parts[1:])
            for alias in node.names:
                private_name = alias.name.startswith("_") and not alias.name.startswith("__")
                if private_module or private_name:
                    rel = path.relative_to(package.parent)
                    found.append(f"{rel}:{node.lineno} from {node.module} import {alias.name}")
    return found


def test_no_private_import_across_topics():
    assert private_imports_across_topics() == []


def test_the_private_import_check_can_fail(tmp_path):
    pkg = tmp_path / "distscale"
    (pkg / "success").mkdir(parents=True)
    (pkg / "report").mkdir()
    (pkg / "success" / "subsets.py").write_text("def _select(): pass\n")
    (pkg / "report" / "build.py").write_text(
        "from distscale.success.subsets import _select\n"
        "from distscale.success.subsets import select\n"
        "from distscale.plot._style import PALETTE\n"
        "from distscale._lib.validation import check_rng\n"
    )
    (pkg / "success" / "curve.py").write_text("from distscale.success.subsets import _select\n")
    found = private_imports_across_topics(pkg)
    assert found == [
        "distscale/report/build.py:1 from distscale.success.subsets import _select",
        "distscale/report/build.py:3 from distscale.plot._style import PALETTE",
    ]


def test_no_module_over_600_lines():
    long = {
        str(p.relative_to(REPO_ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}


@pytest.mark.parametrize(
    "module",
    ["distscale._lib", "distscale.io", "distscale.resampling", "distscale.describe",
     "distscale.modality", "distscale.success", "distscale.metrics", "distscale.report",
     "distscale.datasets"],
)  # fmt: skip
def test_each_topic_has_a_documented_public_surface(module):
    mod = importlib.import_module(module)
    assert mod.__doc__ and mod.__doc__.strip()
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), (module, name)


def test_import_distscale_pulls_neither_matplotlib_nor_torch():
    import subprocess
    import sys

    code = "import sys, distscale; print(sorted(m for m in ('matplotlib', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
