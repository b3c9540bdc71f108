"""Hooks of the examples gallery, in a module that sphinx-gallery imports by name.

``docs/conf.py`` puts this folder on ``sys.path`` and names
:func:`matplotlib_scraper_150` (as the string
``"gallery_hooks.matplotlib_scraper_150"``) as sphinx-gallery's image scraper.
"""

from __future__ import annotations


def matplotlib_scraper_150(block, block_vars, gallery_conf, **kwargs):
    """sphinx-gallery's matplotlib scraper, saving the figures at 150 dpi."""
    from sphinx_gallery.scrapers import matplotlib_scraper

    return matplotlib_scraper(block, block_vars, gallery_conf, dpi=150, **kwargs)
