"""Model ▸ β sweep…: the dialog opens with the active model's settings, runs a tiny sweep
as a job (the window stays responsive), and shows the plots and the table."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt


@pytest.fixture()
def one_torch_thread():
    # On a shared, loaded 2-core machine two intra-op threads train 15-60x slower.
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _items(plot, cls):
    return [i for i in plot.getPlotItem().items if isinstance(i, cls)]


def test_sweep_dialog_runs_a_tiny_sweep_and_shows_plot_and_table(window, qtbot, boxes, tmp_path,
                                                                 one_torch_thread):
    import pyqtgraph as pg

    titles = [a.text() for m in window.menuBar().actions() if m.text() == "&Model"
              for a in m.menu().actions()]
    assert "β &sweep…" in titles
    window.act_sweep.trigger()
    dlg = window.training.sweep_dialog
    assert dlg is not None and dlg.isVisible()
    # defaults from the active model (conv, latent 4, 3 epochs, digits)
    assert dlg.data_spec.currentText() == "digits"
    assert dlg.latent.value() == 4 and dlg.epochs.value() == 3
    assert dlg.arch.currentData() == "conv" and dlg.betas.text() == "0, 0.25, 1, 4"

    dlg.data_spec.setCurrentText("digits?limit=400")
    dlg.betas.setText("0, 1")
    dlg.arch.setCurrentIndex(dlg.arch.findData("mlp"))
    dlg.epochs.setValue(2)
    dlg.samples.setValue(200)
    dlg.device = "cpu"
    qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    assert dlg.running and not dlg.run_button.isEnabled() and dlg.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dlg.result is not None, timeout=300_000)
    assert not dlg.running and dlg.run_button.isEnabled() and dlg.progress.value() == 1000
    assert dlg.table.rowCount() == 2
    assert [dlg.table.item(r, 1).text() for r in range(2)] == ["ae", "vae"]
    assert dlg.table.horizontalHeaderItem(4).text() == "holes, own prior"
    assert len(_items(dlg.gap_plot, pg.ErrorBarItem)) >= 2  # own prior + fitted Gaussian
    labels = [i.textItem.toPlainText() for i in _items(dlg.gap_plot, pg.TextItem)]
    assert labels == ["β=0", "β=1"]
    assert len(_items(dlg.rate_plot, pg.PlotDataItem)) == 1  # one VAE: one rate point
    assert dlg.save_button.isEnabled()
    dlg.save_plot(str(tmp_path / "sweep.png"))
    assert (tmp_path / "sweep.png").stat().st_size > 10_000
    dlg.grab().save(str(tmp_path / "dialog.png"))
    dlg.close()


def test_bad_betas_say_why_and_start_nothing(window, qtbot, boxes):
    dlg = window.show_sweep_dialog()
    for text in ("0, -1", "a", "", "1, 1"):
        dlg.betas.setText(text)
        qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
        assert dlg.status.text().startswith("Cannot run:")
        assert not dlg.running and not window.jobs.running("sweep")
    dlg.close()


def test_cancel_stops_the_sweep_and_the_dialog_can_run_again(window, qtbot, boxes,
                                                              one_torch_thread):
    dlg = window.show_sweep_dialog()
    dlg.data_spec.setCurrentText("digits")
    dlg.betas.setText("0, 1")
    dlg.epochs.setValue(500)
    dlg.device = "cpu"
    dlg.run()
    assert dlg.running
    qtbot.waitUntil(lambda: dlg.progress.value() > 0 or "epoch" in dlg.status.text(),
                    timeout=120_000)
    qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.running, timeout=120_000)
    assert dlg.status.text().startswith("Sweep cancelled") and dlg.result is None
    assert dlg.run_button.isEnabled() and not dlg.cancel_button.isEnabled()
    assert not window.jobs.running("sweep")
    dlg.close()


def test_seeds_show_the_beta_seed_plot_and_table(window, qtbot, boxes, tmp_path,
                                                 one_torch_thread):
    dlg = window.show_sweep_dialog()
    assert dlg.seeds.text() == ""  # empty: the one-seed gap sweep
    dlg.data_spec.setCurrentText("shapes:200?size=16")
    dlg.betas.setText("0, 1")
    dlg.arch.setCurrentIndex(dlg.arch.findData("mlp"))
    dlg.latent.setValue(2)
    dlg.epochs.setValue(1)
    dlg.seeds.setText("0, 1")
    dlg.device = "cpu"
    assert dlg.request().seeds == (0, 1)
    qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.result is not None, timeout=300_000)
    fig = dlg.model.figure
    assert dlg.table.rowCount() == 2 and dlg.table.horizontalHeaderItem(2).text() == "seeds"
    assert [dlg.table.item(r, 2).text() for r in range(2)] == ["2", "2"]
    assert dlg.footer.text() == fig.footer and "MIG" in dlg.footer.text()
    assert not dlg.seed_plot.isHidden() and dlg.seed_plot.has_picture()
    shown = dlg.seed_plot.pixmap()
    assert not shown.isNull() and shown.width() <= dlg.seed_plot.width()  # fits, not cropped
    assert dlg.gap_plot.isHidden() and dlg.rate_plot.isHidden()
    dlg.grab().save(str(tmp_path / "seeds_dialog.png"))
    dlg.seeds.setText("0, 0")
    dlg.run()
    assert dlg.status.text().startswith("Cannot run:") and "each seed once" in dlg.status.text()
    dlg.close()
