"""The traversal panel's "Measure" button bound to its model: the button runs the
model's jobs, one table per model shows what it says (the measurement itself:
tests/session/test_panel_direction.py)."""

from __future__ import annotations

import pytest

from latent_atlas.explorer.core.bundled import RESOURCES
from latent_atlas.explorer.qt.dispatch import QtDispatcher
from latent_atlas.explorer.qt.panels.traversal import TraversalPanel
from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.workspace import ShownSessions

BUNDLED = [RESOURCES / "models" / f"digits_{kind}.safetensors" for kind in ("ae", "vae")]


@pytest.fixture()
def sessions(qtbot):
    if not all(p.exists() for p in BUNDLED):
        pytest.skip("the bundled digits models are missing (resources/models/make_bundled.sh)")
    dispatcher = QtDispatcher()
    out = [Session.from_file(p, dispatcher) for p in BUNDLED]
    for s in out:
        s.start_loading()
    qtbot.waitUntil(lambda: all(s.is_ready() and s.data is not None for s in out),
                    timeout=60_000)
    yield out
    for s in out:
        s.jobs.shutdown()


@pytest.fixture()
def jobs():
    manager = Jobs(QtDispatcher())
    yield manager
    manager.shutdown()


def _panel(qtbot, sessions, jobs, width=1000):
    shown = ShownSessions()
    shown.set(sessions)
    panel = TraversalPanel(shown, jobs)
    qtbot.addWidget(panel)
    panel.resize(width, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.flush()
    return shown, panel


def _pick(panel, a: str, b: str) -> None:
    panel.direction_a.setCurrentIndex(panel.direction_a.findText(a))
    panel.direction_b.setCurrentIndex(panel.direction_b.findText(b))
    panel.flush()


def test_measure_fills_one_table_per_shown_model(qtbot, sessions, jobs):
    shown, panel = _panel(qtbot, sessions, jobs)
    m = panel.measure
    assert m.button.isEnabled() and m.columns.isHidden()
    _pick(panel, "1", "7")
    m.button.click()
    assert m.running() and m.button.text() == "Cancel"  # a background job, not a frozen GUI
    assert not m.progress.isHidden()
    qtbot.waitUntil(lambda: not m.running(), timeout=120_000)
    panel.flush()
    assert m.button.text() == "Measure" and not m.columns.isHidden() and m.progress.isHidden()
    assert m.columns.column_titles() == ["AE — digits_ae", "VAE — digits_vae"]
    for view, col in zip(m.columns.widgets, m.model.columns, strict=True):
        assert col.result is not None
        assert view.table.text() == col.table and view.foot.text() == col.foot
    _fits(m.columns.widgets)

    _pick(panel, "0", "6")  # another direction: that one is not measured yet
    assert m.results == [None, None] and m.columns.isHidden()

    shown.set(sessions[1:])  # one model: one table, no column titles
    _pick(panel, "1", "7")
    panel.resize(480, 700)
    panel.flush()
    assert len(m.results) == 1 and m.results[0].kind == "vae"
    assert m.columns.column_titles() == []
    _fits(m.columns.widgets)


def _fits(views) -> None:
    """Each table and its paragraph are laid out at the height their text needs."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    for view in views:
        assert view.table.height() >= view.table.sizeHint().height()
        assert view.foot.height() >= view.foot.heightForWidth(view.foot.width())


def test_measure_shows_the_models_readable_failure(qtbot, sessions, jobs):
    _, panel = _panel(qtbot, sessions[:1], jobs, width=600)
    m = panel.measure
    panel.model.set_direction("factor:scale>0.5", "label:7")
    m.button.click()
    qtbot.waitUntil(lambda: not m.running(), timeout=60_000)
    panel.flush()
    # the digits have no factors: the core's one line, as the model says it
    assert m.hint.text() == m.model.hint
    assert m.hint.text().startswith("The measurement failed: unknown factor 'scale'")
    assert m.results == [None] and m.columns.isHidden()


def test_measure_table_fits_a_narrow_panel(qtbot, sessions, jobs):
    _, panel = _panel(qtbot, sessions[:1], jobs, width=480)
    _pick(panel, "1", "7")
    panel.measure.button.click()
    qtbot.waitUntil(lambda: not panel.measure.running(), timeout=120_000)
    panel.flush()
    assert panel.measure.results[0] is not None
    _fits(panel.measure.columns.widgets)
