"""The compare window: two map canvases (the AE left, the VAE aligned onto it right)
over a `ComparePair` of linked sessions, the decoded images at the shared point, prior
samples, the decoded grid, the three-row strip, gap heatmaps (under the pixel or the
classifier judge, the cells outside the data's hull hatched), the metrics table and the
application panels, each showing both models. A pair of 2-D latents shown as themselves
opens with the decoded manifold grid (the textbook figure) behind each map's points.

Opening is numpy-only for files with a stored map (painted at once, the right one
Procrustes-aligned); a file without a map is mapped by its session as in the main
window. Torch and the data follow in the background; Map ▸ Fit both maps together refits
both UMAP maps jointly (AlignedUMAP) when the user asks.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from latent_atlas.explorer.session.errors import readable_error
from latent_atlas.explorer.session.open_session import session_of
from latent_atlas.explorer.session.pair import SIDE_TITLES, ComparePair
from latent_atlas.explorer.session.panels.files import sample_grid
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.user_model import is_source
from latent_atlas.explorer.session.view import union_bounds
from latent_atlas.explorer.session.viewfile import is_view_path
from latent_atlas.explorer.session.workspace import ShownSessions, Tools

from ..canvas import MapCanvas
from ..chrome import AppWindow, build_tool_actions
from ..image_box import ImageBox
from ..map_actions import MapActions, name_controls
from .pair_overlays import PairOverlays
from .panels import MetricsPanel, StripRows
from .toolbar import PairTraining, build_toolbar

GRID_DELAY_MS = 80


FIT_TOGETHER_TIP = ("Fit the AE and VAE UMAP maps again, together (umap-learn's AlignedUMAP), "
                    "so that each sample sits in nearly the same place in both; both maps "
                    "move (seconds to minutes, in the background)")

class CompareWindow(AppWindow):
    """AE against VAE, side by side (see module docstring)."""

    recent_key = "recent_pairs"

    def __init__(self, parent: QWidget | None = None, *, headless: bool = False,
                 defer_panels: bool = False):
        super().__init__(parent, headless=headless)
        self.setWindowTitle("Latent Atlas — compare AE vs VAE")
        self.resize(1400, 900)
        self.tools = Tools()
        self.shown = ShownSessions()
        self.pair: ComparePair | None = None
        self.overlays = PairOverlays(self)
        # the tool bar's switches, the launcher and scripts call these by the window's name
        self.set_heatmap = self.overlays.set_heatmap
        self.set_heat_judge = self.overlays.set_heat_judge
        self.set_manifold = self.overlays.set_manifold
        self.compute_gaps = self.overlays.compute_gaps

        self.canvases = [MapCanvas(self.tools, title=SIDE_TITLES[0]),
                         MapCanvas(self.tools, title=SIDE_TITLES[1], follow_bounds=False)]
        for canvas in self.canvases:  # aligned maps: one position line serves both
            canvas.pointerMoved.connect(self.show_position)
        self.canvases[1].vb.setXLink(self.canvases[0].vb)  # aligned maps: one view for both
        self.canvases[1].vb.setYLink(self.canvases[0].vb)
        self.click_boxes = [ImageBox(f"{t} at the point", min_size=90) for t in SIDE_TITLES]
        for box in self.click_boxes:  # a max-unpooling model says whose switches it used
            box.caption.setWordWrap(True)
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
        column.addWidget(self.overlays.heat_note)
        top = QSplitter(Qt.Orientation.Horizontal)
        for w in (*self.canvases, side):
            top.addWidget(w)
        top.setSizes([520, 520, 340])
        self.strip = StripRows()
        self.metrics_panel = MetricsPanel()
        # The interpolation rows and the metrics share the full width, one tab each: the
        # metrics table (some thirty rows) and its sentences need the room.
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.addTab(self.strip, "Interpolation")
        self.bottom_tabs.addTab(self.metrics_panel, "Metrics (AE against VAE)")
        bottom = self.bottom_tabs
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(bottom)
        main.setSizes([530, 330])
        self.setCentralWidget(main)
        self.tool_group, self.tool_actions = build_tool_actions(self, self.tools)
        self.pair_training = PairTraining(self)
        self.map_actions = MapActions(self, self.canvases, lambda: self.pair and self.pair.left,
                                      "compare")
        self.canvases[0].frame_source = self._shared_frame  # one frame for both maps
        self._build_toolbar()
        self._build_menus()

        self._grid_timer = QTimer(self)
        self._grid_timer.setSingleShot(True)
        self._grid_timer.setInterval(GRID_DELAY_MS)
        self._grid_timer.timeout.connect(self.update_grids)
        self.canvases[0].vb.sigRangeChanged.connect(self._on_range_changed)
        self.tabs.currentChanged.connect(lambda _i: self._grid_timer.start())
        self.metrics_panel.run_button.clicked.connect(self.compute_metrics)
        name_controls(self)
        if not defer_panels:  # else the app docks them after the first paint
            self.add_panels()

    def _shared_frame(self):
        """Home frames both maps' points (aligned maps share one frame)."""
        return union_bounds([tuple(s.latent_map.bounds()) for s in self.sessions()
                             if s.latent_map is not None])

    def sessions(self) -> list[Session]:
        return [] if self.pair is None else list(self.pair.sessions)

    @property
    def metric_settings(self):
        """What "Compute metrics" measures with (the metrics model's settings)."""
        return self.metrics_panel.model.settings

    @metric_settings.setter
    def metric_settings(self, settings) -> None:
        self.metrics_panel.model.settings = settings

    # ---- UI -------------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        build_toolbar(self)

    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        self.add_open_actions(m, "&Open pair…")
        self.act_open.setStatusTip("Choose two model files (an AE and a VAE of the same data)")
        self.map_menu = self.menuBar().addMenu("&Map")
        for a in self.tool_actions.values():
            self.map_menu.addAction(a)
        self.map_menu.addSeparator()
        self.act_fit_together = self.action("&Fit both maps together (UMAP)",
                                            self.fit_maps_together, None, FIT_TOGETHER_TIP)
        self.map_menu.addAction(self.act_fit_together)
        self.map_menu.aboutToShow.connect(self._update_fit_together_action)
        m.addSeparator()
        m.addAction(self.action("&Close", self.close, "Ctrl+W"))
        self.map_actions.install(m, self.map_menu, self.toolbar)

    # ---- opening ------------------------------------------------------------------------------
    def open_paths(self, paths: list[str]) -> int:
        """Open two model files as a pair and load them (or a saved view); returns 2, or 0
        with a message."""
        if len(paths) == 1 and is_view_path(paths[0]):
            return 2 * self.map_actions.open_view(paths[0])
        return 2 if self.open_pair(paths, load=True) else 0

    def open_pair(self, paths: list[str], load: bool = False) -> bool:
        """Read two model files (numpy only) and show their maps, the right one aligned.
        A failure shows what was wrong and keeps the current pair."""
        if len(paths) != 2:
            self.show_error("Cannot compare", f"the compare view needs two model files, "
                            f"not {len(paths)}; choose an AE and a VAE of the same data")
            return False
        if any(is_source(p) for p in paths):  # opened in the background, then paired
            return self.open_sources(paths, self.source_data) == 2
        if not self.add_prepared(paths):
            return False
        self.recent.add(*paths)
        if not load:
            return True
        self.start_loading()
        return True

    def add_prepared(self, prepared: list) -> bool:
        """Pair two model files, or two models `open_sources` opened (and load those)."""
        sessions: list[Session] = []
        try:
            sessions = [session_of(p, self.dispatcher) for p in prepared]
            pair = ComparePair(sessions[0], sessions[1], self.dispatcher)
        except Exception as exc:
            for s in sessions:
                s.close()
            self.show_error("Cannot compare these models", readable_error(exc))
            return False
        self._set_pair(pair)
        if not all(isinstance(p, (str, Path)) for p in prepared):
            self.start_loading()  # opened from code: nothing waits for a first paint
        notes = [f"{s.name}: {n}" for s, p in zip(sessions, prepared, strict=True)
                 for n in getattr(p, "notes", [])]  # a slow decoder, other data...
        if notes:
            self.show_message("; ".join(notes))
        return True

    def _set_pair(self, pair: ComparePair) -> None:
        old, self.pair = self.pair, pair
        self.canvases[0].set_frame(None)
        if old is not None:
            old.close()  # its jobs stop; nothing it computes can land on the new pair
            for s in old.sessions:
                self.status.forget(s)
        for s in pair.sessions:
            self.watch(s)
        pair.message.connect(self.show_message)
        self.status.follow(pair.jobs)
        pair.jobs.changed.connect(lambda *_args: self.readyChanged.emit())
        for i, s in enumerate(pair.sessions):
            s.cursor_changed.connect(lambda i=i: self._update_click_image(i))
            s.decoder_changed.connect(lambda: self._grid_timer.start())
            s.map_changed.connect(self._update_titles)
            self.canvases[i].set_session(s)
            self._update_click_image(i)
        pair.samples_changed.connect(self._update_samples)
        pair.grids_changed.connect(self._update_grid_images)
        self.strip.set_pair(pair)
        self.metrics_panel.set_pair(pair)
        self.shown.set(list(pair.sessions))
        self._update_titles()
        self._update_samples()
        self._update_grid_images()
        self.overlays.bind(pair)

    def start_loading(self) -> None:
        """Build the networks and load the data in the background."""
        if self.pair is not None:
            self.pair.start_loading()

    def fit_maps_together(self) -> None:
        if self.pair is not None:
            self.pair.fit_maps_together()

    def _update_fit_together_action(self) -> None:
        why = "open a pair first" if self.pair is None else self.pair.can_fit_together()
        self.act_fit_together.setEnabled(why is None)
        self.act_fit_together.setStatusTip(FIT_TOGETHER_TIP if why is None
                                           else f"Not now: {why}")

    def is_ready(self) -> bool:
        return (self.pair is not None and not self.opening() and not self.adding_panels()
                and self.pair.is_ready())

    def can_measure(self) -> bool:
        """The metrics can start: both models and the images are in and the metrics tab
        is there (the maps may still be refined)."""
        return (self.pair is not None and not self.opening() and not self.adding_panels()
                and self.pair.ready() and self.pair.data is not None)

    def _update_titles(self) -> None:
        if self.pair is None:
            return
        for i, (canvas, s) in enumerate(zip(self.canvases, self.pair.sessions, strict=True)):
            method = s.latent_map.method if s.latent_map is not None else "mapping…"
            canvas.title.setText(f"{SIDE_TITLES[i]} — {s.name} ({s.kind.upper()}, {method}"
                                 f"{', aligned' if i else ''})")

    # ---- images at the point, samples ---------------------------------------------------------
    def _update_click_image(self, i: int) -> None:
        s = self.pair.sessions[i] if self.pair is not None else None
        image = None if s is None else s.cursor_image
        waiting = s is not None and image is None and s.cursor_xy is not None
        note = "" if s is None else s.cursor_note
        self.click_boxes[i].set_image(image, note or ("model loading…" if waiting else ""))

    def sample(self, n: int) -> None:
        if self.pair is None:
            return
        try:
            self.pair.sample(n)
        except ValueError as exc:
            self.show_message(str(exc))

    def _update_samples(self) -> None:
        samples = self.pair.samples if self.pair is not None else [None, None]
        for box, canvas, smp in zip(self.sample_boxes, self.canvases, samples, strict=True):
            if smp is None or not len(smp.images):
                box.set_image(None, "")
                canvas.set_samples(None)
                continue
            box.set_image(sample_grid(smp.images),
                          f"{len(smp.images)} from {smp.prior.description}")
            canvas.set_samples(smp.positions)

    # ---- decoded grid -----------------------------------------------------------------------
    def _on_range_changed(self, *_args) -> None:
        self.overlays.view_moved()
        self._grid_timer.start()

    def update_grids(self) -> None:
        """Decode the N x N grid over the visible area (only while its tab is shown: a
        hidden figure need not follow every pan)."""
        if self.pair is None or self.tabs.currentWidget() is not self.grid_boxes[0].parentWidget():
            return
        self.pair.decode_grids(self.canvases[0].visible_rect(), self.grid_count.value())

    def _update_grid_images(self) -> None:
        images = self.pair.grid_images if self.pair is not None else [None, None]
        n = self.pair.grid_n if self.pair is not None else 0
        for box, image in zip(self.grid_boxes, images, strict=True):
            box.set_image(image, "" if image is None else f"{n} × {n}")

    # ---- metrics -------------------------------------------------------------------------------
    def compute_metrics(self) -> None:
        """Measure both models (latent_atlas.explorer.core.analysis.comparison.metrics) in the background."""
        if self.pair is None:
            return
        job = self.metrics_panel.model.compute()
        if job is None:
            return
        self.metrics_panel.run_button.setEnabled(False)
        self.bottom_tabs.setCurrentWidget(self.metrics_panel)
        job.progress.connect(self.show_progress)
        job.finished.connect(lambda: (self.show_progress(None),
                                      self.metrics_panel.run_button.setEnabled(True)))

    # ---- training a pair ----------------------------------------------------------------------
    def show_train_dialog(self) -> None:
        self.pair_training.show_dialog()

    def train_pair(self, request) -> None:
        """Train the pair in the background (one progress bar), then open it here."""
        self.pair_training.start(request)

    # ---- shutdown ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.overlays.gap_timer.stop()
        self._grid_timer.stop()
        super().shutdown()
