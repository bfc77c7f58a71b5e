"""The compression and probe panels (offscreen), on the bundled digits AE and VAE: the
jobs run in the background, the panels show the core's numbers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from explorer.core.analysis.compress import CompressSettings, compress_iter
from explorer.core.analysis.probe import ProbeSettings, probe_iter
from explorer.core.progress import drain
from explorer.qt.dispatch import QtDispatcher
from explorer.qt.panels import CompressPanel, ProbePanel
from explorer.session.jobs import Jobs
from explorer.session.session import Session
from explorer.session.workspace import ShownSessions

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
    assert not panel.curves and "JPEG" in panel.hint.text()
    panel.bits_edit.setText("2,8")
    panel.images_spin.setValue(40)
    panel.run_button.click()
    assert panel.running() and panel.run_button.text() == "Cancel"  # a job, not a frozen GUI
    qtbot.waitUntil(lambda: not panel.running(), timeout=120_000)
    panel.flush()
    expected = drain(compress_iter(s.model, s.images, CompressSettings(bits=(2, 8), examples=4,
                                                                       max_images=40)))
    assert set(panel.curves) == {"AE, latent 8 x b bits", "JPEG, whole file",
                                 "JPEG, scan data only"}
    bits, psnr = panel.curves["AE, latent 8 x b bits"]
    np.testing.assert_array_equal(bits, [16, 64])
    np.testing.assert_allclose(psnr, [r.ae.psnr for r in expected.rows], rtol=1e-4)
    assert "8 bits/dim: AE 8 B" in panel.summary.text()
    # examples: a header row and 4 rows of original, AE, JPEG
    pixmaps = [lab for lab in panel.example_labels if lab.pixmap() is not None
               and not lab.pixmap().isNull()]
    assert len(pixmaps) == 4 * 3
    assert panel.example_bits.currentData() == 8
    _shot(panel, "compress_panel")
    panel.example_bits.setCurrentIndex(0)
    panel.flush()
    assert "AE 2 bits" in " ".join(lab.text() for lab in panel.example_labels)


def test_compress_panel_refuses_bad_bits(qtbot, runtime, jobs):
    shown, _ = _shown(runtime, ["ae"])
    panel = _panel(qtbot, CompressPanel, shown, jobs)
    panel.bits_edit.setText("0,99")
    panel.run_button.click()
    assert not panel.running() and "bits" in panel.hint.text()


def test_probe_panel_shows_a_table_per_model_and_pixels_once(qtbot, runtime, jobs):
    shown, sessions = _shown(runtime, ["ae", "vae"])  # as the compare window shows them
    panel = _panel(qtbot, ProbePanel, shown, jobs, size=(560, 420))
    assert panel.table.rowCount() == 0
    panel.fractions_edit.setText("10%,100%")
    panel.run_button.click()
    assert panel.running()
    qtbot.waitUntil(lambda: not panel.running(), timeout=180_000)
    panel.flush()
    head, body = panel.rows()
    assert head[:2] == ["labelled", "images"] and len(head) == 2 + 2 * 2 + 2
    assert head[2] == "AE\nlogistic" and head[5] == "VAE\nk-NN"
    assert head[-1].startswith("pixels")
    assert panel.table.rowCount() == 2 and panel.table.columnCount() == len(head)
    ae = sessions[0]
    expected = drain(probe_iter(ae.model, ae.images, ae.labels,
                                ProbeSettings(fractions=(0.1, 1.0), pixels=False)))
    assert body[1][2] == f"{100 * expected.rows[1].codes['logistic']:.1f} %"
    assert panel.table.item(1, 3).text() == f"{100 * expected.rows[1].codes['knn']:.1f} %"
    for row in body:  # every accuracy well above chance (about 10 %)
        assert all(float(cell.rstrip(" %")) > 40 for cell in row[2:])
    assert "chance" in panel.hint.text()
    _shot(panel, "probe_panel")


def test_probe_panel_without_labels_says_so(qtbot, runtime, jobs):
    shown, (s,) = _shown(runtime, ["ae"])
    s.labels = None
    panel = _panel(qtbot, ProbePanel, shown, jobs)
    panel.run_button.click()
    assert not panel.running() and "no labels" in panel.hint.text()
