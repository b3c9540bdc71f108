"""``show_or_save``: figures are saved where they cannot be shown.

References: the PNG signature and the pixel size ``inches x dpi`` are
matplotlib's and the PNG format's own (read back with matplotlib's image
reader), not ours.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import pytest

from distscale.plot.output import show_or_save


@pytest.fixture(autouse=True)
def _close():
    plt.close("all")
    yield
    plt.close("all")


def test_one_figure_one_file_at_the_dpi(tmp_path, monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "sphinx_gallery", raising=False)
    plt.figure(figsize=(4, 3))
    paths = show_or_save("curve", directory=tmp_path, dpi=150)
    assert [p.name for p in paths] == ["curve.png"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width = mpimg.imread(paths[0]).shape[:2]
    assert (width, height) == (600, 450)
    assert f"saved {paths[0]}" in capsys.readouterr().out


def test_several_figures_are_numbered(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "sphinx_gallery", raising=False)
    plt.figure()
    plt.figure()
    paths = show_or_save("scan", directory=tmp_path)
    assert [p.name for p in paths] == ["scan-1.png", "scan-2.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan-1.png", "scan-2.png"]


def test_nothing_written_inside_a_gallery_build(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sphinx_gallery", object())
    plt.figure()
    assert show_or_save("x", directory=tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_interactive_backend_shows(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "TkAgg")
    monkeypatch.setattr(plt, "show", lambda: shown.append(True))
    plt.figure()
    assert show_or_save("x", directory=tmp_path) == [] and shown == [True]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"stem": ""}, TypeError, "`stem` must be a non-empty file name"),
        ({"stem": 3}, TypeError, "`stem` must be a non-empty file name"),
        ({"stem": "a/b"}, ValueError, "`stem` is a file name without folders"),
        ({"stem": "x", "directory": "/no/such/folder"}, ValueError, "`directory` must be an"),
        ({"stem": "x", "dpi": 0}, ValueError, "dpi"),
        ({"stem": "x", "dpi": 1.5}, TypeError, "dpi"),
        ({"stem": "x", "overwrite": "yes"}, TypeError, "overwrite"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, match):
    kwargs.setdefault("directory", tmp_path)
    with pytest.raises(error, match=match):
        show_or_save(**kwargs)


def test_an_existing_file_is_not_replaced_without_overwrite(tmp_path, monkeypatch):
    from distscale._lib.outputs import OutputPathError

    monkeypatch.delitem(sys.modules, "sphinx_gallery", raising=False)
    mine = tmp_path / "curve.png"
    mine.write_bytes(b"my own picture")
    plt.figure()
    with pytest.raises(OutputPathError, match=r"curve\.png' exists; pass overwrite=True"):
        show_or_save("curve", directory=tmp_path)
    assert mine.read_bytes() == b"my own picture"
    paths = show_or_save("curve", directory=tmp_path, overwrite=True)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
