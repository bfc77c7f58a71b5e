"""The compare window: the AE map left, the VAE map (aligned onto it) right, linked
gestures, the three-row strip, gap heatmaps, prior samples and the metrics table.

Opening is numpy-only (the stored maps are painted at once, the right one Procrustes-
aligned onto the left); torch, the data and (for UMAP maps) the refined alignment,
which lays the right UMAP out from the left map's positions, follow in the background.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..image_box import ImageBox
from ..workers import JobManager, readable_error
from .map_pane import ComparePane
from .panels import MetricsPanel, StripRows, tile_grid
from .state import SIDE_TITLES, CompareSide, CompareState

GAP_RESOLUTION = 64
GAP_DELAY_MS = 250  # wait for the view to settle before rescoring the visible area
GRID_DELAY_MS = 80


class CompareWindow(QMainWindow):
    """AE against VAE, side by side (see module docstring)."""

    readyChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from explorer.core.analysis.metrics import MetricSettings

        self.setWindowTitle("Latent Atlas — compare AE vs VAE")
        self.resize(1400, 900)
        self.state = CompareState(self)
        self.jobs = JobManager(self)
        self.metric_settings = MetricSettings()
        self._gap_index = None  # RealImageIndex, built once by the first gap job
        self._gap_version = 0
        self._pair_version = 0  # results of jobs started for an earlier pair are dropped

        self.panes = [ComparePane(self.state, 0), ComparePane(self.state, 1)]
        self.panes[1].vb.setXLink(self.panes[0].vb)  # aligned maps: one view for both
        self.panes[1].vb.setYLink(self.panes[0].vb)
        self.click_boxes = [ImageBox(f"{t} at the point", min_size=90) for t in SIDE_TITLES]
        self.sample_boxes = [ImageBox(f"{t} prior samples", min_size=90) for t in SIDE_TITLES]
        self.grid_boxes = [ImageBox(f"{t} decoded over the view", min_size=90)
                           for t in SIDE_TITLES]
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        for pair, title in ((self.click_boxes, None), (self.sample_boxes, "Prior samples"),
                            (self.grid_boxes, "Decoded grid")):
            holder = QWidget()
            row = QHBoxLayout(holder)
            row.setContentsMargins(0, 0, 0, 0)
            for box in pair:
                row.addWidget(box, 1)
            if title is None:
                column.addWidget(holder, 1)
            else:
                self.tabs.addTab(holder, title)
        column.addWidget(self.tabs, 1)
        top = QSplitter(Qt.Orientation.Horizontal)
        for w in (*self.panes, side):
            top.addWidget(w)
        top.setSizes([520, 520, 340])
        self.strip = StripRows(self.state)
        self.metrics_panel = MetricsPanel(self.state)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.strip)
        bottom.addWidget(self.metrics_panel)
        bottom.setSizes([760, 620])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(bottom)
        main.setSizes([560, 300])
        self.setCentralWidget(main)

        self.status_label = QLabel("")
        self.task_bar = QProgressBar()
        self.task_bar.setRange(0, 1000)
        self.task_bar.setMaximumWidth(220)
        self.task_bar.hide()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.task_bar)
        self._build_toolbar()

        self._gap_timer = QTimer(self)
        self._gap_timer.setSingleShot(True)
        self._gap_timer.setInterval(GAP_DELAY_MS)
        self._gap_timer.timeout.connect(self.compute_gaps)
        self._grid_timer = QTimer(self)
        self._grid_timer.setSingleShot(True)
        self._grid_timer.setInterval(GRID_DELAY_MS)
        self._grid_timer.timeout.connect(self.update_grids)
        self.panes[0].vb.sigRangeChanged.connect(self._on_range_changed)
        self.state.gridsChanged.connect(self._update_grid_images)
        self.state.gapsChanged.connect(self._update_heat_note)
        self.state.decoderChanged.connect(self._grid_timer.start)
        self.tabs.currentChanged.connect(lambda _i: self._grid_timer.start())
        self.state.message.connect(self.status_label.setText)
        self.state.cursorChanged.connect(self._update_click_images)
        self.state.samplesChanged.connect(self._update_sample_images)
        self.state.gapsChanged.connect(self._apply_heat_visibility)
        self.metrics_panel.run_button.clicked.connect(self.compute_metrics)

    # ---- UI -------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Compare")
        tb.setObjectName("compare-toolbar")
        tb.setMovable(False)
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for tool, key in (("explore", "E"), ("arrow", "A"), ("pan", "P")):
            a = QAction(tool.capitalize(), self, checkable=True)
            a.setShortcut(key)
            a.triggered.connect(lambda _c=False, t=tool: self.state.set_tool(t))
            group.addAction(a)
            tb.addAction(a)
            self.tool_actions[tool] = a
        self.tool_actions["explore"].setChecked(True)
        tb.addSeparator()
        self.heat_check = QCheckBox("Gap heatmap")
        self.heat_check.setToolTip("Colour each spot by how far its decoded image is from the "
                                   "nearest real image (same scale on both maps)")
        self.heat_check.toggled.connect(self.set_heatmap)
        tb.addWidget(self.heat_check)
        self.heat_note = QLabel("")
        self.heat_note.setStyleSheet("color: gray")
        tb.addWidget(self.heat_note)
        tb.addSeparator()
        self.sample_count = QSpinBox()
        self.sample_count.setRange(1, 256)
        self.sample_count.setValue(16)
        self.sample_count.setPrefix("N ")
        self.sample_button = QPushButton("Sample")
        self.sample_button.setToolTip("Draw N codes from each model's prior: shown as a grid "
                                      "and as × markers on its map")
        self.sample_button.clicked.connect(lambda: self.sample(self.sample_count.value()))
        tb.addWidget(self.sample_count)
        tb.addWidget(self.sample_button)
        tb.addSeparator()
        self.grid_count = QSpinBox()
        self.grid_count.setRange(2, 32)
        self.grid_count.setValue(10)
        self.grid_count.setPrefix("grid ")
        self.grid_count.setToolTip("Images per side of the decoded grid (Decoded grid tab)")
        self.grid_count.valueChanged.connect(lambda _v: self._grid_timer.start())
        tb.addWidget(self.grid_count)
        tb.addSeparator()
        self.train_button = QPushButton("Train comparison pair…")
        self.train_button.setToolTip("Train an AE and a VAE with identical architecture, "
                                     "latent size, data and seed, then compare them")
        self.train_button.clicked.connect(self.show_train_dialog)
        tb.addWidget(self.train_button)

    # ---- opening ------------------------------------------------------------------------------
    def open_pair(self, paths: list[str]) -> bool:
        """Read two model files (numpy only) and show their maps, the right one aligned."""
        from explorer.core.analysis.compare import align_maps

        from ..file_actions import show_error
        from ..tasks import read_entry_parts

        if len(paths) != 2:
            show_error(self, "Cannot compare", f"the compare view needs two model files, "
                       f"not {len(paths)}")
            return False
        sides = []
        try:
            for p in paths:
                mf, latent_map, _labels = read_entry_parts(p)
                if latent_map is None:
                    raise ValueError(f"{Path(p).name} stores no map; open it in the main "
                                     "window first and save it with its map")
                sides.append(CompareSide(name=Path(p).stem, kind=str(mf.meta["config"].get(
                    "kind", "?")), model_file=mf, latent_map=latent_map, path=Path(p)))
            # The plain AE on the left, whatever order the files came in.
            if sides[1].kind == "ae" and sides[0].kind != "ae":
                sides.reverse()
            left, right = sides
            if left.n_points != right.n_points:
                raise ValueError(f"the maps have {left.n_points} and {right.n_points} samples; "
                                 "compare two models of the same data")
            self.state.unaligned_map = right.latent_map
            right.latent_map = align_maps(right.latent_map, left.latent_map)
        except Exception as exc:
            show_error(self, "Cannot compare these models", readable_error(exc))
            return False
        # Results of the previous pair must not land on this one.
        for j in self.jobs.running():
            if j.name != "train":
                j.cancel()
                j.join(30)
        self._gap_index = None
        self._gap_version += 1
        self._pair_version += 1
        self.state.set_sides(sides)
        err = right.latent_map.params.get("alignment_error")
        self.state.message.emit(f"maps aligned (Procrustes, relative error {err:.2f}); "
                                "loading the models…")
        return True

    def start_loading(self) -> None:
        """Build the networks and load the data in the background; refine a UMAP alignment."""
        from .jobs import load_pair, refine_alignment

        sides = self.state.sides
        if not sides:
            return
        files = [s.model_file for s in sides]
        spec = str(files[0].meta.get("data_spec") or "digits")
        job = self.jobs.start("runtime", lambda cancel: load_pair(files, spec, cancel))
        version = self._pair_version
        job.progress.connect(lambda st: self._on_runtime_event(st)
                             if version == self._pair_version else None)
        job.failed.connect(lambda msg: self.state.message.emit(f"cannot load: {msg}"))
        job.finished.connect(self.readyChanged)
        job.start()
        left = sides[0].latent_map
        if left.method == "umap" and self.state.unaligned_map is not None:
            codes = np.asarray(self.state.unaligned_map.codes)
            job = self.jobs.start("align", lambda cancel: refine_alignment(codes, left, cancel))
            job.succeeded.connect(lambda m: self._on_aligned(m)
                                  if version == self._pair_version else None)
            job.failed.connect(lambda msg: self.state.message.emit(
                f"kept the Procrustes alignment: {msg}"))
            job.finished.connect(self.readyChanged)
            job.start()

    def _on_runtime_event(self, st) -> None:
        if st.stage == "model":
            model, decoder = st.payload
            self.state.set_model(st.index, model, decoder)
            if self.state.ready():
                self.state.message.emit("ready — click a map to decode in both models")
        elif st.stage == "data":
            self.state.set_data(st.payload)
            if self.heat_check.isChecked():
                self.compute_gaps()

    def _on_aligned(self, aligned) -> None:
        from explorer.core.analysis.compare import alignment_error

        self.state.set_side_map(1, aligned)
        err = alignment_error(aligned.positions, self.state.sides[0].latent_map.positions)
        aligned.params["alignment_error"] = round(err, 6)
        self.state.message.emit(f"VAE map laid out from the AE map and aligned "
                                f"(relative error {err:.2f})")
        if self.heat_check.isChecked():
            self.compute_gaps()

    def is_ready(self) -> bool:
        return (self.state.ready() and self.state.data is not None
                and not self.jobs.running("runtime") and not self.jobs.running("align"))

    # ---- samples & images -------------------------------------------------------------------
    def sample(self, n: int) -> None:
        try:
            self.state.sample(n)
        except ValueError as exc:
            self.state.message.emit(str(exc))

    def _update_click_images(self) -> None:
        for box, s in zip(self.click_boxes, self.state.sides, strict=False):
            waiting = s.click_image is None and self.state.cursor_xy is not None
            box.set_image(s.click_image, "model loading…" if waiting else "")

    def _update_sample_images(self) -> None:
        for box, s in zip(self.sample_boxes, self.state.sides, strict=False):
            if s.samples is None or not len(s.samples.images):
                box.set_image(None, "")
                continue
            per_row = int(np.ceil(np.sqrt(len(s.samples.images))))
            box.set_image(tile_grid(np.asarray(s.samples.images), per_row),
                          f"{len(s.samples.images)} from {s.samples.prior.description}")

    # ---- gap heatmap ------------------------------------------------------------------------
    def set_heatmap(self, on: bool) -> None:
        if self.heat_check.isChecked() != on:
            self.heat_check.setChecked(on)  # re-enters through toggled
            return
        if on:
            self.compute_gaps()
        self._apply_heat_visibility()

    def _apply_heat_visibility(self) -> None:
        for pane in self.panes:
            pane.set_heat_visible(self.heat_check.isChecked())

    def _on_range_changed(self, *_args) -> None:
        if self.heat_check.isChecked():
            self._gap_timer.start()
        self._grid_timer.start()

    def _update_heat_note(self) -> None:
        lv = self.state.gap_levels
        self.heat_note.setText("" if lv is None else
                               f" dark = plausible … bright = ≥ {lv[1]:.2f} RMS from every "
                               "real image ")

    # ---- decoded grid -----------------------------------------------------------------------
    def update_grids(self) -> None:
        """Decode the N x N grid over the visible area (only while its tab is shown: a
        hidden figure need not follow every pan)."""
        if self.tabs.currentWidget() is not self.grid_boxes[0].parentWidget():
            return
        self.state.decode_grids(self.panes[0].visible_rect(), self.grid_count.value())

    def _update_grid_images(self) -> None:
        for box, s in zip(self.grid_boxes, self.state.sides, strict=False):
            box.set_image(s.grid_image, "" if s.grid_image is None else
                          f"{self.state.grid_n} × {self.state.grid_n}")

    def compute_gaps(self) -> None:
        """Score a 64 x 64 grid over the visible area for both models, in the background."""
        from .jobs import gap_task

        st = self.state
        if not st.ready() or st.data is None:
            return  # recomputed once the models and the data have arrived
        for j in self.jobs.running("gaps"):
            j.cancel()
        self._gap_version += 1
        version = self._gap_version
        rect = self.panes[0].visible_rect()
        decoders = [s.decoder for s in st.sides]
        maps = [s.latent_map for s in st.sides]
        images, index = st.data.images, self._gap_index
        job = self.jobs.start("gaps", lambda cancel: gap_task(
            decoders, maps, images, index, rect, GAP_RESOLUTION, cancel))
        job.progress.connect(lambda ev: self._progress(ev.fraction, "gap scores"))
        job.succeeded.connect(lambda out: self._on_gaps(version, out))
        job.failed.connect(lambda msg: self.state.message.emit(f"gap heatmap failed: {msg}"))
        job.finished.connect(lambda: self._progress(None))
        job.start()

    def _on_gaps(self, version: int, out) -> None:
        index, grids = out
        self._gap_index = index
        if version == self._gap_version:
            self.state.set_gaps(grids)

    # ---- metrics -------------------------------------------------------------------------------
    def compute_metrics(self) -> None:
        """Measure both models (explorer.core.analysis.metrics) in the background."""
        from .jobs import metrics_task

        st = self.state
        if not st.ready() or st.data is None:
            self.state.message.emit("the models are still loading; try again in a moment")
            return
        if self.jobs.running("metrics"):
            return
        models = {s.name: s.model for s in st.sides}
        data, settings = st.data, self.metric_settings
        self.metrics_panel.run_button.setEnabled(False)
        job = self.jobs.start("metrics", lambda cancel: metrics_task(models, data, settings,
                                                                     cancel))
        job.progress.connect(lambda ev: self._progress(ev.fraction, ev.message))
        job.succeeded.connect(self.state.set_metrics)
        job.failed.connect(lambda msg: self.state.message.emit(f"metrics failed: {msg}"))
        job.finished.connect(lambda: (self._progress(None),
                                      self.metrics_panel.run_button.setEnabled(True)))
        job.start()

    def _progress(self, fraction: float | None, text: str = "") -> None:
        if fraction is None:
            self.task_bar.hide()
            return
        self.task_bar.show()
        self.task_bar.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        self.task_bar.setFormat(text[:40] or "%p%")
        self.task_bar.setTextVisible(True)

    # ---- training a pair ----------------------------------------------------------------------
    def show_train_dialog(self) -> None:
        from .train_dialog import PairRequest, TrainPairDialog

        running = self.jobs.running("train")
        if running:  # the button reads "Cancel training" meanwhile
            for j in running:
                j.cancel()
            self.state.message.emit("cancelling the training…")
            return
        initial = PairRequest()
        if self.state.sides:
            cfg = self.state.sides[0].model_file.meta.get("config", {})
            initial = PairRequest(data_spec=str(self.state.sides[0].model_file.meta.get(
                "data_spec") or "digits"), arch=str(cfg.get("arch", "conv")),
                latent_dim=int(cfg.get("latent_dim", 8)), epochs=int(cfg.get("epochs", 10)),
                seed=int(cfg.get("seed", 0)))
        dlg = TrainPairDialog(initial, self)
        if dlg.exec():
            self.train_pair(dlg.request())

    def train_pair(self, request) -> None:
        """Train the pair in the background (one progress bar), then open it here."""
        from .jobs import train_pair_task

        if self.jobs.running("train"):
            self.state.message.emit("a comparison pair is already training")
            return
        self.train_button.setText("Cancel training")
        job = self.jobs.start("train", lambda cancel: train_pair_task(request, cancel))
        job.progress.connect(self._on_train_progress)
        job.succeeded.connect(self._on_pair_trained)
        job.failed.connect(lambda msg: self.state.message.emit(f"training failed: {msg}"))
        job.cancelled.connect(lambda: self.state.message.emit("training cancelled"))
        job.finished.connect(lambda: (self._progress(None),
                                      self.train_button.setText("Train comparison pair…"),
                                      self.readyChanged.emit()))
        job.start()

    def _on_train_progress(self, ev) -> None:
        if ev.fraction is not None:
            self._progress(ev.fraction, ev.message)
            self.state.message.emit(f"training the pair: {ev.message}")
        else:
            self.state.message.emit(ev.message)

    def _on_pair_trained(self, paths) -> None:
        if self.open_pair(paths):
            self.start_loading()
            self.state.message.emit(f"trained pair saved as {paths[0]} and {paths[1]}")

    # ---- shutdown ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self._gap_timer.stop()
        self._grid_timer.stop()
        self.jobs.shutdown()

    def closeEvent(self, ev):  # noqa: N802 - Qt naming
        self.shutdown()
        super().closeEvent(ev)
