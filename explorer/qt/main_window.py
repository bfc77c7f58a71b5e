"""The explorer window: layout, menus, tool bar, and the wiring of background jobs.

Start-up is split in two: `open_models(..., load=False)` reads model files with numpy
only (the stored map is painted at once), then `start_loading()` imports torch and the
data in a worker thread. Clicks decode as soon as each model's Decoder arrives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QWidget,
)

from explorer.core.io.images import is_image_path

from .file_actions import FileActions, show_error
from .image_panel import ImagePanel
from .map_view import MapView
from .state import AtlasState, ModelEntry
from .strip_panel import StripPanel
from .workers import JobManager, readable_error

TOOL_KEYS = {"explore": "E", "arrow": "A", "pan": "P"}
TOOL_TIPS = {"explore": "Explore: click or drag to decode (E)",
             "arrow": "Arrow: drag to draw an interpolation arrow; click one to select it (A)",
             "pan": "Pan: drag to move the map (P)"}


class MainWindow(QMainWindow):
    readyChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Latent Atlas")
        self.resize(1280, 860)
        self.setAcceptDrops(True)
        self.state = AtlasState(self)
        self.jobs = JobManager(self)
        self.files = FileActions(self)
        self.train_dialog = None
        self.compare_window = None
        self._train_job = None
        self._closing = False

        self.map_view = MapView(self.state)
        self.image_panel = ImagePanel(self.state)
        self.strip_panel = StripPanel(self.state)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.map_view)
        top.addWidget(self.image_panel)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        top.setSizes([900, 340])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(self.strip_panel)
        main.setStretchFactor(0, 4)
        main.setStretchFactor(1, 1)
        main.setSizes([560, 280])
        self.setCentralWidget(main)

        self.status_label = QLabel("")
        self.task_bar = QProgressBar()
        self.task_bar.setRange(0, 1000)
        self.task_bar.setMaximumWidth(220)
        self.task_bar.hide()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.task_bar)

        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self.state.message.connect(self._show_message)
        self.state.entriesChanged.connect(self._update_model_combo)
        self.state.activeChanged.connect(self._update_model_combo)
        self.state.activeChanged.connect(self._update_colour_combo)
        self.state.dataChanged.connect(self._update_colour_combo)
        self.state.coloursChanged.connect(self._update_colour_combo)
        self.state.toolChanged.connect(self._update_tool_actions)
        self.strip_panel.exportPng.connect(lambda: self.files.export_strip("png"))
        self.strip_panel.exportGif.connect(lambda: self.files.export_strip("gif"))
        from .panels import add_application_panels  # application views (issue 7), docked
        self.panels = add_application_panels(self, self.state)

    # ---- UI construction -------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(lambda _checked=False: slot())
        return a

    def _build_actions(self) -> None:
        f = self.files
        self.act_open = self._action("&Open model…", f.open_model_dialog, QKeySequence.StandardKey.Open)
        self.act_open_image = self._action("Open &image…", f.open_image_dialog, "Ctrl+I",
                                           "Encode your own picture and mark it on the map")
        self.act_save = self._action("&Save model", f.save, QKeySequence.StandardKey.Save)
        self.act_save_as = self._action("Save model &as…", f.save_as, QKeySequence.StandardKey.SaveAs)
        self.act_export_map = self._action("Export map as PNG…", f.export_map_png)
        self.act_export_csv = self._action("Export codes as CSV…", lambda: f.export_codes("csv"))
        self.act_export_npz = self._action("Export codes as NPZ…", lambda: f.export_codes("npz"))
        self.act_export_strip = self._action("Export strip as PNG…", lambda: f.export_strip("png"))
        self.act_export_gif = self._action("Export strip as GIF…", lambda: f.export_strip("gif"))
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_train = self._action("&Train…", self.show_train_dialog, "Ctrl+T")
        self.act_umap = self._action("Refit map with &UMAP", lambda: self.refit_map("umap"))
        self.act_pca = self._action("Show &PCA map", lambda: self.refit_map("pca"))
        self.act_compare = self._action("&Compare AE vs VAE", self.open_compare, None,
                                        "Open an AE and a VAE side by side on aligned maps")
        self.act_delete = self._action("Delete arrow", self.state.delete_selected_arrow,
                                       QKeySequence.StandardKey.Delete)
        QShortcut(QKeySequence(Qt.Key.Key_Backspace), self, self.state.delete_selected_arrow)
        self.tool_group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for tool in ("explore", "arrow", "pan"):
            a = QAction(tool.capitalize(), self, checkable=True)
            a.setShortcut(QKeySequence(TOOL_KEYS[tool]))
            a.setToolTip(TOOL_TIPS[tool])
            a.triggered.connect(lambda _c=False, t=tool: self.state.set_tool(t))
            self.tool_group.addAction(a)
            self.tool_actions[tool] = a
        self.tool_actions[self.state.tool].setChecked(True)

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.addWidget(QLabel(" Model "))
        self.model_combo = QComboBox()
        self.model_combo.setMinimumContentsLength(18)
        self.model_combo.activated.connect(self.state.set_active)
        tb.addWidget(self.model_combo)
        tb.addSeparator()
        for a in self.tool_actions.values():
            tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(QLabel(" Colour by "))
        self.colour_combo = QComboBox()
        self.colour_combo.activated.connect(
            lambda i: self.state.set_colour_key(self.colour_combo.itemData(i)))
        tb.addWidget(self.colour_combo)
        tb.addSeparator()
        tb.addAction(self.act_open)
        tb.addAction(self.act_open_image)
        tb.addAction(self.act_train)

    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        for a in (self.act_open, self.act_open_image):
            m.addAction(a)
        self.recent_menu = m.addMenu("Open &recent")
        m.addSeparator()
        for a in (self.act_save, self.act_save_as):
            m.addAction(a)
        m.addSeparator()
        for a in (self.act_export_map, self.act_export_csv, self.act_export_npz,
                  self.act_export_strip, self.act_export_gif):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = self.menuBar().addMenu("&Model")
        for a in (self.act_train, self.act_umap, self.act_pca):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_compare)
        m = self.menuBar().addMenu("&Map")
        for a in self.tool_actions.values():
            m.addAction(a)
        m.addAction(self.act_delete)
        self.update_recent_menu()

    def update_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.files.recent_files()
        for path in recent:
            a = self.recent_menu.addAction(path)
            a.triggered.connect(lambda _c=False, p=path: self.open_paths([p]))
        self.recent_menu.setEnabled(bool(recent))

    # ---- state -> widgets ------------------------------------------------------------------
    def _update_model_combo(self) -> None:
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for e in self.state.entries:
            star = " *" if e.dirty else ""
            self.model_combo.addItem(f"{e.name} ({e.kind.upper()}){star}")
        self.model_combo.setCurrentIndex(self.state.active_index)
        self.model_combo.blockSignals(False)
        e = self.state.active
        self.setWindowTitle(f"Latent Atlas — {e.name}" if e else "Latent Atlas")

    def _update_colour_combo(self) -> None:
        self.colour_combo.blockSignals(True)
        self.colour_combo.clear()
        for key, title in self.state.colour_choices():
            self.colour_combo.addItem(title, key)
        col = self.state.colouring()
        i = self.colour_combo.findData(col.key if col is not None else self.state.colour_key)
        self.colour_combo.setCurrentIndex(max(i, 0))
        self.colour_combo.blockSignals(False)

    def _update_tool_actions(self) -> None:
        self.tool_actions[self.state.tool].setChecked(True)

    def _show_message(self, text: str) -> None:
        self.status_label.setText(text)

    def _task_progress(self, fraction: float | None, text: str = "") -> None:
        if fraction is None:
            self.task_bar.hide()
        else:
            self.task_bar.show()
            self.task_bar.setValue(int(1000 * max(0.0, min(1.0, fraction))))
            self.task_bar.setFormat(text[:40] or "%p%")
            self.task_bar.setTextVisible(True)

    # ---- opening files --------------------------------------------------------------------
    def open_paths(self, paths: list[str], load: bool = True) -> int:
        """Open model files (and place pictures); returns how many models opened."""
        from .tasks import read_entry_parts

        opened = 0
        for p in paths:
            if is_image_path(p):
                self.place_image_file(p)
                continue
            try:
                mf, latent_map, labels = read_entry_parts(p)
            except Exception as exc:
                show_error(self, "Cannot open model", f"{Path(p).name}: {readable_error(exc)}")
                continue
            meta = mf.meta
            entry = ModelEntry(name=Path(p).stem, meta=meta, path=Path(p), latent_map=latent_map,
                               labels=labels, label_names=list(meta.get("label_names") or []),
                               model_file=mf)
            if latent_map is not None:
                entry.map_note = f"stored {latent_map.method} map"
            self.state.add_entry(entry)
            self.files.add_recent(p)
            opened += 1
            if load:
                self.start_loading([entry])
        return opened

    def start_loading(self, entries: list[ModelEntry] | None = None) -> None:
        """Import torch, build the networks and load each model's data, in the background."""
        from .tasks import load_runtime

        entries = [e for e in (entries or self.state.entries) if e.decoder is None]
        if not entries:
            return
        jobs = [(id(e), e.model_file, e.data_spec, e.n_points if e.latent_map is not None else None)
                for e in entries]
        by_id = {id(e): e for e in entries}
        maps = tuple(e.latent_map for e in entries if e.latent_map is not None)
        job = self.jobs.start("runtime", lambda cancel: load_runtime(jobs, cancel, maps))
        job.progress.connect(lambda st: self._on_runtime_event(by_id.get(st.index), st))
        job.failed.connect(lambda msg: show_error(self, "Cannot load the model", msg))
        job.finished.connect(self.readyChanged)
        job.start()
        self._show_message("Loading models…")

    def _on_runtime_event(self, entry: ModelEntry | None, st) -> None:
        if entry is None or self.state.entry_index(entry) < 0:
            return
        if st.stage == "model":
            model, decoder = st.payload
            self.state.set_model(entry, model, decoder)
            self._show_message(f"{entry.name}: ready — click or drag on the map to decode")
        elif st.stage == "data":
            d = st.payload
            self.state.set_data(entry, d["images"], d["labels"], d["label_names"], d["factors"],
                                d["reconstructions"], d["recon_error"])
            if entry.latent_map is None and d.get("codes") is not None:
                self._set_quick_map(entry, d["codes"])
            if d.get("note"):
                self._show_message(f"{entry.name}: {d['note']}")
        elif st.stage == "data_error":
            self._show_message(f"{entry.name}: {st.message}")

    def _set_quick_map(self, entry: ModelEntry, codes: np.ndarray) -> None:
        from explorer.core.latent.map import quick_map

        self.state.set_map(entry, quick_map(codes), "PCA (UMAP refining…)")
        self.start_map_job(entry, "auto")

    def place_image_file(self, path: str) -> bool:
        """Convert, encode and mark the user's picture on the active map."""
        from explorer.core.io.images import dataset_background, load_model_input

        e = self.state.active
        if e is None:
            show_error(self, "No model open", "Open or train a model before placing a picture.")
            return False
        try:
            bg = dataset_background(e.images) if e.images is not None else 0.0
            chw = load_model_input(path, e.input_shape, background=bg)
            self.state.place_image(Path(path).name, chw)
        except Exception as exc:
            show_error(self, "Cannot use this picture", readable_error(exc))
            return False
        self._show_message(f"Placed {Path(path).name} on the map (★)")
        return True

    # ---- maps ----------------------------------------------------------------------------------
    def start_map_job(self, entry: ModelEntry, method: str = "auto") -> None:
        """Fit a map (UMAP by default) in the background; the current map stays meanwhile."""
        from .tasks import map_task

        codes = np.asarray(entry.latent_map.codes)
        for j in self.jobs.running("map"):
            j.cancel()
        job = self.jobs.start("map", lambda cancel: map_task(codes, method, cancel))
        label = "UMAP" if method in ("auto", "umap") and codes.shape[1] != 2 else method.upper()
        job.progress.connect(lambda ev: self._task_progress(
            ev.fraction or 0.0, f"{label}: {ev.message}"))
        job.succeeded.connect(lambda m: self._on_map_done(entry, m))
        job.failed.connect(lambda msg: self._on_map_failed(entry, msg))
        job.cancelled.connect(lambda: self._task_progress(None))
        job.finished.connect(self.readyChanged)
        self._task_progress(0.0, f"{label}…")
        job.start()

    def _on_map_done(self, entry: ModelEntry, latent_map) -> None:
        self._task_progress(None)
        if self.state.entry_index(entry) >= 0 and latent_map is not None:
            self.state.set_map(entry, latent_map, f"{latent_map.method} map")
            self._show_message(f"{entry.name}: {latent_map.method.upper()} map ready")

    def _on_map_failed(self, entry: ModelEntry, msg: str) -> None:
        self._task_progress(None)
        self._show_message(f"{entry.name}: the map could not be refined ({msg}); keeping the current one")

    def refit_map(self, method: str) -> None:
        e = self.state.active
        if e is None or e.latent_map is None:
            return
        if method == "pca":
            from explorer.core.latent.map import quick_map

            self.state.set_map(e, quick_map(np.asarray(e.latent_map.codes)), "PCA map")
        else:
            self.start_map_job(e, method)

    # ---- training ------------------------------------------------------------------------------
    def show_train_dialog(self):
        from .train_dialog import TrainDialog

        if self.train_dialog is None:
            e = self.state.active
            self.train_dialog = TrainDialog(self, e.data_spec if e and e.data_spec else "digits")
            self.train_dialog.trainRequested.connect(self.start_training)
            self.train_dialog.cancelRequested.connect(self.cancel_training)
        self.train_dialog.show()
        self.train_dialog.raise_()
        return self.train_dialog

    def start_training(self, request) -> None:
        from .tasks import train_task

        if self._train_job is not None and self._train_job.is_running():
            show_error(self, "Already training", "Wait for the current training or cancel it.")
            return
        dlg = self.show_train_dialog()
        job = self.jobs.start("train", lambda cancel: train_task(request, cancel))
        self._train_job = job
        job.progress.connect(dlg.show_progress)
        job.succeeded.connect(self._on_trained)
        job.failed.connect(self._on_train_failed)
        job.cancelled.connect(lambda: dlg.finished("Training cancelled before the first epoch."))
        job.finished.connect(self.readyChanged)
        dlg.started()
        job.start()

    def cancel_training(self) -> None:
        if self._train_job is not None:
            self._train_job.cancel()

    def _on_train_failed(self, msg: str) -> None:
        if self.train_dialog is not None:
            self.train_dialog.finished(f"Training failed: {msg}")
        show_error(self, "Training failed", msg)

    def _on_trained(self, out) -> None:
        dlg = self.train_dialog
        result = out.result
        if out.quick is None:
            if dlg is not None:
                dlg.finished(result.message or "No epoch finished; nothing to explore.")
            return
        cfg = out.model.config
        name = f"{out.data.spec.split('?')[0].replace(':', '_').replace('/', '_')}_{cfg.kind}_new"
        entry = ModelEntry(name=name, meta=out.meta, latent_map=out.quick,
                           labels=out.data.labels, label_names=list(out.data.label_names),
                           map_note="PCA (UMAP refining…)", dirty=True)
        entry.model, entry.decoder = out.model, out.decoder
        entry.images, entry.factors = out.data.images, dict(out.data.factors)
        entry.reconstructions, entry.recon_error = out.reconstructions, out.recon_error
        self.state.add_entry(entry)
        self.start_map_job(entry, "auto")
        msg = (f"{result.message} The map shows PCA now; UMAP is refining in the background. "
               "Save it with File ▸ Save model.")
        if dlg is not None:
            dlg.finished(msg)
        self._show_message(msg)

    # ---- readiness & shutdown -----------------------------------------------------------------
    def is_ready(self) -> bool:
        """True when every model can decode and no map or load job is running."""
        return (bool(self.state.entries)
                and all(e.decoder is not None and e.latent_map is not None for e in self.state.entries)
                and not self.jobs.running("runtime") and not self.jobs.running("map"))

    def shutdown(self) -> None:
        """Stop every background job and wait for its thread."""
        self._closing = True
        if self.compare_window is not None:
            self.compare_window.shutdown()
        self.jobs.shutdown()

    def open_compare(self) -> None:
        """Open the compare view on the open AE and VAE files (a saved plain AE and a saved
        model of another kind), or on the bundled digits pair."""
        from .app import default_model_paths
        from .compare import CompareWindow

        saved = [e for e in self.state.entries if e.path is not None and not e.dirty]
        ae = [e for e in saved if e.kind == "ae"]
        other = [e for e in saved if e.kind != "ae"]
        paths = ([str(ae[0].path), str(other[0].path)] if ae and other
                 else default_model_paths())
        if self.compare_window is not None:
            self.compare_window.shutdown()
            self.compare_window.close()
            self.compare_window.deleteLater()
        self.compare_window = CompareWindow(self)
        if self.compare_window.open_pair(paths):
            self.compare_window.show()
            self.compare_window.start_loading()

    def closeEvent(self, ev):  # noqa: N802 - Qt naming
        self.shutdown()
        if self.train_dialog is not None:
            self.train_dialog.running = False
            self.train_dialog.close()
        super().closeEvent(ev)

    # ---- drag and drop ----------------------------------------------------------------------------
    def dragEnterEvent(self, ev):  # noqa: N802
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev):  # noqa: N802
        paths = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
        if paths:
            ev.acceptProposedAction()
            self.open_paths(paths)
