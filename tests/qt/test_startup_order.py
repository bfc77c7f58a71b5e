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


def test_panels_docked_gradually_arrive_one_per_turn_of_the_event_loop(qtbot):
    """Issue 24: built all at once the panels held the event loop for 0.1-0.2 s."""
    from latent_atlas.explorer.qt.main_window import MainWindow
    from latent_atlas.explorer.qt.panels import PANELS

    w = MainWindow(defer_panels=True)
    qtbot.addWidget(w)
    w.add_panels(gradually=True)
    assert len(w.panels) == 1 and w.adding_panels()
    w.add_panels(gradually=True)  # asked again while docking: nothing doubles
    assert len(w.panels) == 1
    counts = []
    qtbot.waitUntil(lambda: counts.append(len(w.panels)) or not w.adding_panels(), timeout=10000)
    assert list(w.panels) == [key for key, *_ in PANELS]
    assert counts == sorted(counts) and counts[0] < len(PANELS)  # not all in one turn
    assert sum(a.text() == "&Views" for a in w.menuBar().actions()) == 1
    w.shutdown()


def test_a_window_that_must_have_its_panels_now_finishes_the_docking(qtbot):
    from latent_atlas.explorer.qt.main_window import MainWindow
    from latent_atlas.explorer.qt.panels import PANELS

    w = MainWindow(defer_panels=True)
    qtbot.addWidget(w)
    w.add_panels(gradually=True)
    w.add_panels()  # e.g. a test or a script that needs them at once
    assert not w.adding_panels() and len(w.panels) == len(PANELS)
    w.shutdown()


def test_a_window_closed_while_docking_stops_docking(qtbot):
    from latent_atlas.explorer.qt.main_window import MainWindow

    w = MainWindow(defer_panels=True)
    qtbot.addWidget(w)
    w.add_panels(gradually=True)
    w.shutdown()
    qtbot.wait(50)
    assert len(w.panels) == 1 and not w.adding_panels()
