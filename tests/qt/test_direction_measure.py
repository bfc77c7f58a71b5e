"""The traversal panel's "Measure" button: latent arithmetic measured for every shown model
in a background job, the core's table shown per model."""

from __future__ import annotations

import pytest

from explorer.core.analysis.applications.transfer import (
    measure_transfer,
    transfer_table_parts,
)
from explorer.core.progress import drain
from explorer.qt.bundled import RESOURCES
from explorer.qt.dispatch import QtDispatcher
from explorer.qt.panels.traversal import TraversalPanel
from explorer.session.jobs import Jobs
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

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
    qtbot.waitUntil(lambda: not m.running(), timeout=120_000)
    panel.flush()
    assert m.button.text() == "Measure" and not m.columns.isHidden()
    assert m.columns.column_titles() == ["AE — digits_ae", "VAE — digits_vae"]
    views = m.columns.widgets
    for s, view, result in zip(sessions, views, m.results, strict=True):
        assert result is not None and (result.a, result.b, result.kind) == ("1", "7", s.kind)
        expected = drain(measure_transfer(s.model, s.data, "1", "7"))
        table, foot = transfer_table_parts(expected)
        assert view.table.text().splitlines()[0] == table.splitlines()[0]
        assert view.table.text().splitlines()[0].split()[-5:] == ["→", "1", "still", "7",
                                                                   "holes"]
        assert len(view.table.text().splitlines()) == len(table.splitlines()) == 11
        assert view.foot.text() == foot
    assert m.results[0].cell("latent", 1).to_a["fraction"] > 0.5
    _fits(views)

    _pick(panel, "0", "6")  # another direction: that one is not measured yet
    assert m.results == [None, None] and m.columns.isHidden()
    _pick(panel, "1", "7")  # back: the kept results show again without measuring
    assert all(r is not None for r in m.results) and not m.columns.isHidden()

    shown.set(sessions[1:])  # one model: one table, no column titles
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


def test_measure_refuses_factor_groups_readably(qtbot, sessions, jobs, monkeypatch):
    _, panel = _panel(qtbot, sessions[:1], jobs, width=600)
    m = panel.measure
    monkeypatch.setattr(m, "_keys", lambda: ("factor:scale>0.5", "label:7"))
    m.button.click()
    qtbot.waitUntil(lambda: not m.running(), timeout=60_000)
    panel.flush()
    # the digits have no factors: the core's one line says so, in the panel
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
