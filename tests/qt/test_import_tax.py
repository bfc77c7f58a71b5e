"""PySide6 scans the source of every module imported after it for the word "PySide6"
(explorer/qt/import_tax.py); the app skips the scan for libraries that never use Qt.
The shortcut must give PySide's own answer for every module it answers."""

from __future__ import annotations

import sys
import types

import pytest

from latent_atlas.explorer.qt import import_tax


@pytest.fixture()
def feature():
    import PySide6.QtCore  # noqa: F401  (installs shiboken's import hook)

    mod = import_tax.feature_module()
    if mod is None or not hasattr(mod, "_mod_uses_pyside"):
        pytest.skip("this PySide6 has no per-module feature check")
    return mod


def _original(feature):
    check = feature._mod_uses_pyside
    return getattr(check, "__wrapped__", check)


def test_the_app_installs_the_shortcut_once(qapp, feature):
    from latent_atlas.explorer.qt.app import qt_app

    qt_app()
    assert getattr(feature._mod_uses_pyside, import_tax._MARK, False)
    assert import_tax.skip_libraries_without_qt() is False  # already there


def test_every_skipped_library_module_is_one_pyside_would_have_skipped(qapp, feature):
    import scipy.stats  # noqa: F401
    import sklearn.mixture  # noqa: F401
    import torch  # noqa: F401

    import_tax.skip_libraries_without_qt()
    original = _original(feature)
    skipped = [m for name, m in list(sys.modules.items())
               if name.partition(".")[0] in import_tax.NO_QT and type(m) is types.ModuleType
               and getattr(m, "__file__", None)]
    assert len(skipped) > 500  # torch, numpy, scipy, sklearn, ...

    def pyside_says(m) -> bool:
        try:
            return bool(original(m))
        except Exception:  # a module whose source cannot be read: PySide cannot tell either
            return False

    assert not [m.__name__ for m in skipped if pyside_says(m)]
    assert not any(feature._mod_uses_pyside(m) for m in skipped[:50])


def test_a_module_that_uses_pyside_keeps_its_feature_switch(qapp, feature, tmp_path,
                                                            monkeypatch):
    import_tax.skip_libraries_without_qt()
    calls: list[str] = []
    original = _original(feature)

    def counting(module):
        calls.append(module.__name__)
        return original(module)

    monkeypatch.setattr(feature._mod_uses_pyside, "__wrapped__", counting, raising=False)
    (tmp_path / "uses_qt_here.py").write_text("from PySide6 import QtCore\nX = 1\n")
    (tmp_path / "plain_here.py").write_text("X = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import plain_here  # noqa: F401
    import uses_qt_here  # noqa: F401

    assert feature.pyside_feature_dict.get("uses_qt_here") == 0  # switchable
    assert feature.pyside_feature_dict.get("plain_here") == -1
    for name in ("uses_qt_here", "plain_here"):
        sys.modules.pop(name, None)
