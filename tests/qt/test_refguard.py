"""Canary for the PySide6 reference-count bug that explorer/qt/refguard.py works around."""

from __future__ import annotations

import sys

import pytest
from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QWidget


class _Painted(QWidget):
    def paintEvent(self, ev):  # noqa: N802 - Qt naming
        return None  # a Python override of a Qt virtual returning a singleton


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None/True/False are immortal on 3.12+")
def test_pyside_still_drops_references_to_returned_singletons(qapp):
    """Fails when the installed PySide6 stops leaking: then refguard.py can be deleted."""
    widget = _Painted()
    widget.show()
    qapp.processEvents()
    calls = 300
    before = sys.getrefcount(None)
    for _ in range(calls):
        widget.repaint()  # one synchronous paintEvent call each
    lost = before - sys.getrefcount(None)
    widget.close()
    widget.deleteLater()
    assert lost >= calls // 2, (
        f"PySide6 {pyside_version} no longer drops a reference per overridden virtual call "
        f"(lost {lost} over {calls} calls): the workaround in explorer/qt/refguard.py and its "
        "calls in explorer/qt/app.py and tests/qt/conftest.py can be removed")


def test_the_guard_is_applied_by_the_entry_point_not_by_importing_the_package():
    import subprocess

    code = ("import sys; import latent_atlas.explorer.qt, latent_atlas.explorer.qt.canvas, latent_atlas.explorer.qt.refguard as r; "
            "print(r._PINNED)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
