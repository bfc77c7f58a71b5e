"""When Qt's X11 plugin cannot load, the app prints the one install line, not Qt's list."""

from __future__ import annotations

import ctypes

from latent_atlas.explorer.qt.platform_check import INSTALL_LINE, xcb_plugin_problem


def test_a_missing_x11_library_is_named_with_the_install_line(monkeypatch):
    def missing(*_args, **_kwargs):
        raise OSError("libxcb-cursor.so.0: cannot open shared object file: No such file or directory")

    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(ctypes, "CDLL", missing)
    problem = xcb_plugin_problem()
    assert problem is not None and "libxcb-cursor.so.0" in problem and INSTALL_LINE in problem
    assert "libxcb-cursor0" in INSTALL_LINE and "libxcb-icccm4" in INSTALL_LINE


def test_other_platforms_are_not_checked(monkeypatch):
    def boom(*_args, **_kwargs):
        raise AssertionError("the plugin must not be probed")

    monkeypatch.setattr(ctypes, "CDLL", boom)
    for platform in ("offscreen", "wayland", "minimal"):
        monkeypatch.setenv("QT_QPA_PLATFORM", platform)
        assert xcb_plugin_problem() is None
