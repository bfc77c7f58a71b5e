"""What the app does before its first paint is kept small (issue 24): the application
panels are docked after it, image boxes build no context menu, and the collector's
start-up ends when every window is ready."""

from __future__ import annotations

from latent_atlas.explorer.qt.app import windows_ready
from latent_atlas.explorer.qt.image_box import ImageBox


def test_a_deferred_window_docks_its_panels_when_asked(qtbot):
    from latent_atlas.explorer.qt.main_window import MainWindow

    w = MainWindow(defer_panels=True)
    qtbot.addWidget(w)
    assert w.panels == {}
    assert not w.panels_busy()
    w.add_panels()
    docks = dict(w.panels)
    assert "denoise" in docks and "anomaly" in docks
    assert any(a.text() == "&Views" for a in w.menuBar().actions())
    w.add_panels()  # once only
    assert w.panels == docks
    w.shutdown()


def test_a_window_has_its_panels_by_default(qtbot):
    from latent_atlas.explorer.qt.compare.window import CompareWindow

    w = CompareWindow()
    qtbot.addWidget(w)
    assert "traversal" in w.panels
    w.shutdown()


def test_image_boxes_build_no_context_menu(qtbot):
    box = ImageBox("x")
    qtbot.addWidget(box)
    assert box.vb.menu is None


def test_windows_ready_needs_a_window_and_every_one_ready(qapp):
    class App:
        def __init__(self, widgets):
            self.widgets = widgets

        def topLevelWidgets(self):  # noqa: N802 - Qt naming
            return self.widgets

    class Win:
        def __init__(self, ready):
            self.ready = ready

        def is_ready(self):
            return self.ready

    assert not windows_ready(App([object()]))
    assert windows_ready(App([Win(True), object()]))
    assert not windows_ready(App([Win(True), Win(False)]))
