"""Atomic outputs keep a new file's usual permissions.

Reference: a file made by a plain ``open(path, "w")`` under the same umask
(the operating system's own rule, 0o666 less the umask).
"""

from __future__ import annotations

import os
import stat

import pytest

from distscale._lib.outputs import atomic_path, atomic_write


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_outputs_have_the_permissions_of_a_plain_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        plain = tmp_path / "plain.txt"
        with open(plain, "w") as handle:
            handle.write("x")
        written = atomic_write(tmp_path / "atomic.txt", lambda f: f.write("x"))
        with atomic_path(tmp_path / "named.bin") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    assert _mode(written) == _mode(plain) == 0o666 & ~umask
    assert _mode(tmp_path / "named.bin") == _mode(plain)


def test_atomic_write_failure_keeps_the_old_file(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")

    def boom(handle):
        handle.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, boom)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]  # no temporary left
