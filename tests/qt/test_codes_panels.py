"""The compression and probe panels (offscreen) bound to their models, on the bundled
digits AE and VAE: the button runs the model's jobs, the panels show what the model
says (the numbers themselves: tests/session/test_panel_codes.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from latent_atlas.explorer.qt.dispatch import QtDispatcher
from latent_atlas.explorer.qt.panels import CompressPanel, ProbePanel
from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.workspace import ShownSessions

SHOTS = os.environ.get("LATENT_ATLAS_SHOTS")  # a folder: save what the panels look like


def _shown(runtime, kinds) -> tuple[ShownSessions, list[Session]]:
    dispatcher = QtDispatcher()
    sessions = []
    for kind in kinds:
        path, mf, latent_map, labels, model, decoder, extras = runtime[kind]
        s = Session(path.stem, mf.meta, path=path, latent_map=latent_map, labels=labels,
                    dispatcher=dispatcher)
        s.set_model(model, decoder)
        s.set_data(extras)
        sessions.append(s)
    shown = ShownSessions()
    shown.set(sessions)
    return shown, sessions


@pytest.fixture()
def jobs():
    manager = Jobs(QtDispatcher())
    yield manager
    manager.shutdown()


def _panel(qtbot, cls, shown, jobs, size=(460, 760)):
    panel = cls(shown, jobs)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    panel.flush()
    return panel


def _shot(panel, name: str) -> None:
    panel.flush()
    QApplication.processEvents()
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        panel.grab().save(str(Path(SHOTS) / f"{name}.png"))


def test_compress_panel_draws_the_curve_and_the_examples(qtbot, runtime, jobs):
    shown, (s,) = _shown(runtime, ["ae"])
    panel = _panel(qtbot, CompressPanel, shown, jobs)
    m = panel.model
    assert not panel.curves and "JPEG" in panel.hint.text()
    panel.bits_edit.setText("2,8")
    panel.images_spin.setValue(40)
    assert (m.bits_text, m.max_images) == ("2,8", 40)
    panel.run_button.click()
    assert panel.running() and panel.run_button.text() == "Cancel"  # a job, not a frozen GUI
    qtbot.waitUntil(lambda: not panel.running(), timeout=120_000)
    panel.flush()
    assert panel.run_button.text() == "Compare with JPEG"
    assert set(panel.curves) == {c.name for c in m.view.curves} == {
        "AE, latent 8 x b bits", "JPEG, whole file", "JPEG, scan data only"}
    items = panel.plot.getPlotItem().listDataItems()
    assert [it.name() for it in items] == [c.name for c in m.view.curves]
    np.testing.assert_allclose(items[0].yData, m.view.curves[0].psnr)
    assert panel.summary.text() == m.view.summary and panel.hint.text() == m.hint
    # examples: a header row and 4 rows of original, AE, JPEG
    pixmaps = [lab for lab in panel.example_labels if lab.pixmap() is not None
               and not lab.pixmap().isNull()]
    assert len(pixmaps) == 4 * 3
    assert panel.example_bits.currentData() == 8 == m.view.example_bits
    _shot(panel, "compress_panel")
    panel.example_bits.setCurrentIndex(0)
    assert m.example_bits == 2
    panel.flush()
    assert "AE 2 bits" in " ".join(lab.text() for lab in panel.example_labels)


def test_compress_panel_refuses_bad_bits(qtbot, runtime, jobs):
    shown, _ = _shown(runtime, ["ae"])
    panel = _panel(qtbot, CompressPanel, shown, jobs)
    panel.bits_edit.setText("0,99")
    panel.run_button.click()
    assert not panel.running() and "bits" in panel.hint.text()


def test_probe_panel_shows_the_models_table(qtbot, runtime, jobs):
    shown, sessions = _shown(runtime, ["ae", "vae"])  # as the compare window shows them
    panel = _panel(qtbot, ProbePanel, shown, jobs, size=(560, 420))
    assert panel.table.rowCount() == 0
    panel.fractions_edit.setText("10%,100%")
    assert panel.model.fractions_text == "10%,100%"
    panel.run_button.click()
    assert panel.running()
    qtbot.waitUntil(lambda: not panel.running(), timeout=180_000)
    panel.flush()
    head, body = panel.model.head, panel.model.body
    assert len(body) == 2 and head[2] == "AE\nlogistic"
    assert panel.table.rowCount() == 2 and panel.table.columnCount() == len(head)
    assert [panel.table.horizontalHeaderItem(j).text() for j in range(len(head))] == head
    assert panel.table.item(1, 3).text() == body[1][3]
    assert panel.hint.text() == panel.model.hint and "chance" in panel.hint.text()
    _shot(panel, "probe_panel")


def test_probe_panel_without_labels_says_so(qtbot, runtime, jobs):
    shown, (s,) = _shown(runtime, ["ae"])
    s.labels = None
    panel = _panel(qtbot, ProbePanel, shown, jobs)
    panel.run_button.click()
    assert not panel.running() and "no labels" in panel.hint.text()
