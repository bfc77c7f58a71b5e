"""The compare window's toolbar and its Train-comparison-pair button (widgets only: what
they do is the window's and the session floor's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton, QSpinBox

# The compare window (typed loosely: naming its class here would make an import circle).
CompareWindow = Any


def build_toolbar(w: CompareWindow) -> None:
    """The tools, the heatmap switch and judge, prior sampling, the decoded grid's size,
    the manifold grid switch and the Train-pair button, as attributes of `w`."""
    tb = w.addToolBar("Compare")
    tb.setObjectName("compare-toolbar")
    tb.setMovable(False)
    for a in w.tool_actions.values():
        tb.addAction(a)
    tb.addSeparator()
    w.heat_check = _tool(tb, QCheckBox("Gap heatmap"), "Colour each spot by how far its "
                         "decoded image is from the nearest real image (same scale on both "
                         "maps)", "toggled", w.set_heatmap)
    from latent_atlas.explorer.session.panels.compare_views import GAP_JUDGES

    w.judge_combo = QComboBox()
    for name, title in GAP_JUDGES:
        w.judge_combo.addItem(title, name)
    w.judge_combo.setToolTip("What scores a decoded image: its pixel distance to the "
                             "nearest real image, or a classifier's doubt about it")
    w.judge_combo.activated.connect(
        lambda i: w.set_heat_judge(w.judge_combo.itemData(i)))
    tb.addWidget(w.judge_combo)
    tb.addSeparator()
    w.sample_count = QSpinBox()
    w.sample_count.setRange(1, 256)
    w.sample_count.setValue(16)
    w.sample_count.setPrefix("N ")
    tb.addWidget(w.sample_count)
    w.sample_button = _tool(tb, QPushButton("Sample"), "Draw N codes from each model's "
                            "prior: shown as a grid and as × markers on its map", "clicked",
                            lambda: w.sample(w.sample_count.value()))
    tb.addSeparator()
    w.grid_count = QSpinBox()
    w.grid_count.setRange(2, 32)
    w.grid_count.setValue(10)
    w.grid_count.setPrefix("grid ")
    w.grid_count.setToolTip("Images per side of the decoded grid (Decoded grid tab)")
    w.grid_count.valueChanged.connect(lambda _v: w._grid_timer.start())
    tb.addWidget(w.grid_count)
    w.manifold_check = _tool(tb, QCheckBox("Manifold grid"), "2-D latents: images decoded "
                             "over each model's latent square (±3 for the VAE, the codes' "
                             "range for the AE), drawn behind the points", "toggled",
                             w.set_manifold)
    w.manifold_check.setEnabled(False)
    tb.addSeparator()
    w.train_button = _tool(tb, QPushButton("Train comparison pair…"), "Train an AE and a "
                           "VAE with identical architecture, latent size, data and seed, then "
                           "compare them", "clicked", w.show_train_dialog)


def _tool(tb: Any, widget: Any, tip: str, signal: str, slot: Any) -> Any:
    """`widget` with its tooltip, its `signal` connected to `slot`, added to toolbar `tb`."""
    widget.setToolTip(tip)
    getattr(widget, signal).connect(slot)
    tb.addWidget(widget)
    return widget


class PairTraining:
    """The Train-comparison-pair button: the dialog, the job (one progress bar), opening
    the saved pair in the window when it is done; the button cancels while it runs."""

    def __init__(self, window: CompareWindow) -> None:
        self.w = window

    def show_dialog(self) -> None:
        from latent_atlas.explorer.session.panels.train_form import pair_request_for

        from .train_dialog import TrainPairDialog

        w = self.w
        running = w.jobs.running("train")
        if running:  # the button reads "Cancel training" meanwhile
            for j in running:
                j.cancel()
            w.show_message("cancelling the training…")
            return
        initial = pair_request_for(w.pair.left if w.pair is not None else None)
        dlg = TrainPairDialog(initial, w)
        if dlg.exec():
            w.train_pair(dlg.request())

    def start(self, request) -> None:
        from latent_atlas.explorer.session.training import train_pair_task

        w = self.w
        if w.jobs.running("train"):
            w.show_message("a comparison pair is already training")
            return
        w.train_button.setText("Cancel training")
        job = w.jobs.start("train", lambda cancel: train_pair_task(request, cancel))
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_trained)
        job.failed.connect(lambda msg: w.show_message(f"training failed: {msg}"))
        job.cancelled.connect(lambda: w.show_message("training cancelled"))
        job.finished.connect(lambda: (w.show_progress(None),
                                      w.train_button.setText("Train comparison pair…")))
        job.start()

    def _on_progress(self, ev) -> None:
        if ev.fraction is not None:
            self.w.show_progress(ev)
            self.w.show_message(f"training the pair: {ev.message}")
        else:
            self.w.show_message(ev.message)

    def _on_trained(self, paths) -> None:
        if self.w.open_pair(paths, load=True):
            self.w.show_message(f"trained pair saved as {Path(paths[0]).name} and "
                                f"{Path(paths[1]).name}")
