"""Sphinx configuration of the distscale documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``; the API
pages of ``distscale.train`` also need the ``torch`` extra)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

CI (``.ci/run``) runs exactly that after the tests: any warning fails it.

Pieces:

* The user guide is the Markdown pages in this folder (MyST parser).
* The API reference (``api.rst``) is autosummary tables; ``autosummary_generate``
  writes one page per object under ``docs/generated/`` (not committed), rendered
  with autodoc + numpydoc and the templates in ``_templates/autosummary/``.
* The examples gallery is sphinx-gallery over ``examples/``; see the block
  "Examples gallery" below for the rules an example must follow.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The package is normally installed (editable); this makes a plain checkout work too.
sys.path.insert(0, str(ROOT))

import distscale  # noqa: E402

# -- Project ------------------------------------------------------------------
project = "distscale"
author = "distscale developers"
copyright = "distscale developers"
release = distscale.__version__
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    # dropdowns: the collapsible "Validation" / "Benchmark" parts of the guide pages
    "sphinx_design",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    # sphinx-gallery writes these next to the gallery; they are not pages of their own
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
    "auto_examples/*.pickle",
]
# No intersphinx: the CI machine reaches package registries only, so fetching
# other projects' inventories would fail (and -W would turn that into an error).

# -- MyST (Markdown user guide) -------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
# Anchors for "page.md#some-heading" links, as GitHub renders them.
myst_heading_anchors = 3

# -- autodoc / autosummary / numpydoc -------------------------------------------
autosummary_generate = True


def _guide_pages() -> dict[str, list[str]]:
    """Which user-guide pages each API name belongs to, read from ``api.rst``.

    Every section of ``api.rst`` names its guide pages (``See :doc:`success```);
    the autosummary templates put "Read more in the user guide" on the page of
    every name listed in that section.
    """
    text = (HERE / "api.rst").read_text(encoding="utf-8")
    pages: dict[str, list[str]] = {}
    for section in re.split(r"\n(?=[^\n]+\n=+\n)", text):
        docs = re.findall(r":doc:`([^`<>]+)`", section)
        if not docs:
            continue
        for name in re.findall(r"^   ([A-Za-z_][\w.]*)$", section, flags=re.M):
            pages[f"distscale.{name}"] = docs
    return pages


autosummary_context = {"guide_pages": _guide_pages()}
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections already give the types
add_module_names = False
# Our class template lists the documented methods and properties itself
# (``autoclass :members:``); numpydoc's own member tables would duplicate them
# and point at stub pages that do not exist.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- HTML -----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"distscale {release}"
html_static_path = ["_static"] if (HERE / "_static").is_dir() else []
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_show_sourcelink = True
# Getting started is a top-level page with no section to navigate: no empty left sidebar.
html_sidebars = {"getting-started": []}
# wider article and smaller code, so that the guide's doctest blocks fit (docs/_static/custom.css)
html_css_files = ["custom.css"]

# -- Examples gallery (sphinx-gallery) ------------------------------------------
# Rules for files in examples/ (also in docs/contributing.md):
#
# * Every ``examples/*.py`` file (except names starting with "_") is a gallery
#   example and is EXECUTED during the docs build; its printed output and its
#   matplotlib figures appear on its page.
# * It must begin with a docstring whose first lines are a reST title
#   (a line of text underlined with ``=`` of at least the same length), then a
#   paragraph saying what it shows. Further text cells use ``# %%`` blocks.
# * Data: what ships with distscale (``distscale.datasets``) or what the
#   example makes itself. An example that reads the optional public data in
#   ``../shared/data`` (beside the repository; CI has it) must take that folder
#   from the environment variable ``DISTSCALE_SHARED_DATA`` first; that name in
#   its source is also how this file recognises it. The build sets the
#   variable to ``../shared/data`` when that folder exists (sphinx-gallery
#   defines no ``__file__``, so the example cannot find the folder itself) and,
#   when it does not exist, renders such examples without running them instead
#   of failing. Run alone, such an example may stop with a message
#   (``sys.exit("...")``) when the data are missing.
# * It must be quick (the whole docs build stays under ~3 minutes on 2 cores):
#   a few seconds of computation, modest bootstrap counts.
# * A failing example fails the build (``abort_on_example_error``, and
#   ``only_warn_on_example_error`` is False), so CI catches broken examples.
#
# Set DISTSCALE_DOCS_NO_GALLERY=1 to build the pages without running the
# examples (quick local iterations on the text; the example pages then show
# code only).
_run_gallery = os.environ.get("DISTSCALE_DOCS_NO_GALLERY", "") in ("", "0")

EXAMPLES = ROOT / "examples"
_SHARED_MARKER = "DISTSCALE_SHARED_DATA"
_shared = Path(os.environ.get(_SHARED_MARKER) or ROOT.parent / "shared" / "data")
_needs_shared = sorted(
    p.name for p in EXAMPLES.glob("*.py") if _SHARED_MARKER in p.read_text(encoding="utf-8")
)
if _shared.is_dir():
    os.environ[_SHARED_MARKER] = str(_shared)
    _skipped: list[str] = []
else:
    _skipped = _needs_shared
    if _skipped:
        print(f"docs: {_shared} not found; not running the examples {', '.join(_skipped)}")
# The LM examples take minutes of CPU and need the lm extras: shown, never run.
_skipped = [*_skipped, "lm_population.py", "lm_harness.py"]
# Execute every example, except (without the shared data) those that need it.
_filename_pattern = r"\.py$"
if _skipped:
    _names = "|".join(re.escape(name) for name in _skipped)
    _filename_pattern = rf"^(?!.*[\\/](?:{_names})$).*\.py$"

# Gallery hooks live in docs/_ext and are named by string (sphinx-gallery imports
# them), so that the configuration stays plain data Sphinx can cache.
sys.path.insert(0, str(HERE / "_ext"))

sphinx_gallery_conf = {
    "examples_dirs": [str(EXAMPLES)],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": _filename_pattern,
    "ignore_pattern": r"(^|/)_",  # helper modules starting with "_" are not examples
    "plot_gallery": "True" if _run_gallery else "False",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("distscale",),
    "backreferences_dir": "generated/backreferences",
    "matplotlib_animations": False,
    "image_scrapers": ("gallery_hooks.matplotlib_scraper_150",),
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "show_signature": False,
    "min_reported_time": 1,
}

# Examples deliberately silence DegenerateDataWarning themselves; anything the
# build itself emits from matplotlib's Agg backend is noise.
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")


# -- Re-exported constants ----------------------------------------------------------
# A constant documented with a ``#:`` comment where it is defined (e.g.
# ``distscale.io.run_table.EVAL_METRICS``) and re-exported elsewhere
# (``distscale.train.EVAL_METRICS``) would otherwise be shown with the
# docstring of its type ("Built-in immutable sequence...") or none.
def _reexported_data_doc(app, what, name, obj, options, lines):
    if what != "data":
        return
    from sphinx.pycode import ModuleAnalyzer

    def comment(module_name: str, attr: str) -> list[str] | None:
        try:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except Exception:  # no source (extension module, ...)
            return None
        found = docs.get(("", attr))
        return list(found) if found else None

    module_name, _, attr = name.rpartition(".")
    if comment(module_name, attr) is not None:
        return  # documented where it is exported
    for module in list(sys.modules.values()):
        mname = getattr(module, "__name__", "")
        if mname.startswith("distscale") and getattr(module, attr, None) is obj:
            found = comment(mname, attr)
            if found is not None:
                lines[:] = found
                return


def setup(app):
    app.connect("autodoc-process-docstring", _reexported_data_doc)
