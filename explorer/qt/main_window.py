"""The explorer window: one map canvas over the active session, the decoded-image panel,
the strip, the application panels, menus and the tool bar.

Start-up is split in two: `open_paths(..., load=False)` reads model files with numpy
only (the stored map is painted at once), then `start_loading()` imports torch and the
data in each session's background job. Clicks decode as soon as the model arrives.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QLabel, QSplitter, QWidget

from latent_atlas.explorer.session.errors import readable_error
from latent_atlas.explorer.session.open_session import session_of
from latent_atlas.explorer.session.panels.files import is_image_path, place_picture
from latent_atlas.explorer.session.picture_check import check_picture, invert_placed
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.user_model import is_source
from latent_atlas.explorer.session.viewfile import is_view_path
from latent_atlas.explorer.session.workspace import ShownSessions, Workspace

from .canvas import MapCanvas
from .chrome import AppWindow, build_tool_actions
from .file_actions import FileActions, ask_open_image
from .image_panel import ImagePanel
from .map_actions import MapActions, name_controls
from .model_training import ModelTraining
from .strip_panel import StripPanel


class MainWindow(AppWindow):
    def __init__(self, parent: QWidget | None = None, *, headless: bool = False,
                 defer_panels: bool = False):
        super().__init__(parent, headless=headless)
        self.setWindowTitle("Latent Atlas")
        self.resize(1280, 860)
        self.workspace = Workspace()
        self.shown = ShownSessions()
        self.files = FileActions(self, lambda: self.workspace.active, lambda: self.canvas)
        self.compare_window = None
        self.training = ModelTraining(self)  # Train… and β sweep…, by the names tests use
        self.show_train_dialog = self.training.show_train_dialog
        self.show_sweep_dialog = self.training.show_sweep_dialog
        self.start_training = self.training.start

        self.canvas = MapCanvas(self.workspace.tools)
        self.canvas.pointerMoved.connect(self.show_position)
        self.image_panel = ImagePanel()
        self.strip_panel = StripPanel()
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.canvas)
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

        self.tool_group, self.tool_actions = build_tool_actions(self, self.workspace.tools)
        self.map_actions = MapActions(self, [self.canvas], lambda: self.session, "main")
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self.map_actions.install(self.file_menu, self.map_menu, self.toolbar)
        self.workspace.sessions_changed.connect(self._update_model_combo)
        self.workspace.active_changed.connect(self._on_active_changed)
        self.strip_panel.exportPng.connect(lambda: self.files.export_strip("png"))
        self.strip_panel.exportGif.connect(lambda: self.files.export_strip("gif"))
        self.model_combo.setAccessibleName("Model")
        self.colour_combo.setAccessibleName("Colour by")
        name_controls(self)
        if not defer_panels:  # else the app docks them after the first paint
            self.add_panels()

    @property
    def session(self) -> Session | None:
        """The session on the canvas."""
        return self.workspace.active

    def sessions(self) -> list[Session]:
        return list(self.workspace.sessions)

    # ---- UI construction -------------------------------------------------------------
    def _build_actions(self) -> None:
        f = self.files
        self.act_open_image = self.action("Open &image…", self.open_image_dialog, "Ctrl+I",
                                          "Encode your own picture and mark it on the map")
        self.act_save = self.action("&Save model", f.save, QKeySequence.StandardKey.Save)
        self.act_save_as = self.action("Save model &as…", f.save_as,
                                       QKeySequence.StandardKey.SaveAs)
        self.act_export_map = self.action("Export map as PNG…", f.export_map_png)
        self.act_export_csv = self.action("Export codes as CSV…", lambda: f.export_codes("csv"))
        self.act_export_npz = self.action("Export codes as NPZ…", lambda: f.export_codes("npz"))
        self.act_export_strip = self.action("Export strip as PNG…", lambda: f.export_strip("png"))
        self.act_export_gif = self.action("Export strip as GIF…", lambda: f.export_strip("gif"))
        self.act_export_projector = self.action(
            "Export for TensorBoard Projector…", lambda: f.export_interop("projector"),
            tip="tensors.tsv, metadata.tsv, sprite.png and projector_config.pbtxt in a folder")
        self.act_export_parquet = self.action(
            "Export as Parquet…", lambda: f.export_interop("parquet"),
            tip="One table for Embedding Atlas, Latent Scope or pandas (needs pyarrow)")
        self.act_quit = self.action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_train = self.action("&Train…", self.show_train_dialog, "Ctrl+T")
        self.act_umap = self.action("Refit map with &UMAP", lambda: self.refit_map("umap"))
        self.act_pca = self.action("Show &PCA map", lambda: self.refit_map("pca"))
        self.act_compare = self.action("&Compare AE vs VAE", self.open_compare, None,
                                       "Open an AE and a VAE side by side on aligned maps")
        self.act_compare_2d = self.action("Open the &2-D digits pair", self.open_latent2_pair,
                                          None, "The bundled AE and VAE with a 2-D latent: "
                                          "the decoded manifold grid over the latent square")
        self.act_sweep = self.action("β &sweep…", self.show_sweep_dialog, None,
                                     "Train an AE and VAEs over β; plot reconstruction against gaps")
        self.act_delete = self.action("Delete arrow", self._delete_arrow,
                                      QKeySequence.StandardKey.Delete)
        QShortcut(QKeySequence(Qt.Key.Key_Backspace), self, self._delete_arrow)

    def _delete_arrow(self) -> None:
        if self.session is not None:
            self.session.delete_selected_arrow()

    def _build_toolbar(self) -> None:
        tb = self.toolbar = self.addToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.addWidget(QLabel(" Model "))
        self.model_combo = QComboBox()
        self.model_combo.setMinimumContentsLength(18)
        self.model_combo.activated.connect(self.workspace.set_active)
        tb.addWidget(self.model_combo)
        tb.addSeparator()
        for a in self.tool_actions.values():
            tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(QLabel(" Colour by "))
        self.colour_combo = QComboBox()
        self.colour_combo.activated.connect(
            lambda i: self.session.set_colour_key(self.colour_combo.itemData(i))
            if self.session is not None else None)
        tb.addWidget(self.colour_combo)
        tb.addSeparator()
        tb.addAction(self.act_open)
        tb.addAction(self.act_open_image)
        tb.addAction(self.act_train)

    def _build_menus(self) -> None:
        m = self.file_menu = self.menuBar().addMenu("&File")
        self.add_open_actions(m)
        m.addAction(self.act_open_image)
        m.addSeparator()
        for a in (self.act_save, self.act_save_as):
            m.addAction(a)
        m.addSeparator()
        for a in (self.act_export_map, self.act_export_csv, self.act_export_npz,
                  self.act_export_strip, self.act_export_gif, self.act_export_projector,
                  self.act_export_parquet):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = self.menuBar().addMenu("&Model")
        for a in (self.act_train, self.act_umap, self.act_pca):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_compare)
        m.addAction(self.act_compare_2d)
        m.addAction(self.act_sweep)
        m = self.map_menu = self.menuBar().addMenu("&Map")
        for a in self.tool_actions.values():
            m.addAction(a)
        m.addAction(self.act_delete)
        m.addAction(self.action("&Invert your picture", self.invert_picture, None,
                                "Place your picture again with light and dark swapped"))

    # ---- session -> widgets ------------------------------------------------------------------
    def _on_active_changed(self) -> None:
        s = self.session
        for w in (self.canvas, self.image_panel, self.strip_panel):
            w.set_session(s)
        self.shown.set([s] if s is not None else [])
        self._update_model_combo()
        self._update_colour_combo()

    def _update_model_combo(self) -> None:
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for s in self.workspace.sessions:
            star = " *" if s.dirty else ""
            self.model_combo.addItem(f"{s.name} ({s.kind.upper()}){star}")
        self.model_combo.setCurrentIndex(self.workspace.active_index)
        self.model_combo.blockSignals(False)
        s = self.session
        self.setWindowTitle(f"Latent Atlas — {s.name}" if s else "Latent Atlas")

    def _update_colour_combo(self) -> None:
        s = self.session
        self.colour_combo.blockSignals(True)
        self.colour_combo.clear()
        if s is not None:
            for key, title in s.colour_choices():
                self.colour_combo.addItem(title, key)
            col = s.colouring()
            i = self.colour_combo.findData(col.key if col is not None else s.colour_key)
            self.colour_combo.setCurrentIndex(max(i, 0))
        self.colour_combo.blockSignals(False)

    def add_session(self, session: Session) -> None:
        """Show a session in this window (it becomes the active one)."""
        self.watch(session)
        for sig in (session.colours_changed, session.data_changed):
            sig.connect(lambda s=session: self._update_colour_combo()
                        if s is self.session else None)
        self.workspace.add(session)

    # ---- opening files --------------------------------------------------------------------
    def open_paths(self, paths: list[str], load: bool = True) -> int:
        """Open model files (and place pictures); returns how many models opened."""
        opened = 0
        sources = [p for p in paths if is_source(p)]
        if sources:  # opened in the background (a factory may train a model first)
            opened += self.open_sources(sources, self.source_data)
        for p in paths:
            if is_view_path(p):
                opened += self.map_actions.open_view(p)
                continue
            if is_image_path(p):
                self.place_image_file(p)
                continue
            if is_source(p):
                continue
            try:
                session = Session.from_file(p, self.dispatcher)
            except Exception as exc:
                self.show_error("Cannot open model", f"{Path(p).name}: {readable_error(exc)}")
                continue
            self.add_session(session)
            self.recent.add(p)
            opened += 1
            if load:
                session.start_loading()
        return opened

    def add_prepared(self, prepared: list) -> None:
        """Show models opened in the background (`open_sources`); a folder goes to the
        recent files, a Python factory never does (it runs code)."""
        for item in prepared:
            session = session_of(item, self.dispatcher)
            self.add_session(session)
            for note in getattr(item, "notes", []):  # a slow decoder, other data...
                self.show_message(f"{session.name}: {note}")
            folder = getattr(item, "meta", {}).get("folder")
            if folder:
                self.recent.add(str(folder))
            session.start_loading()

    def start_loading(self) -> None:
        """Import torch, build the networks and load each model's data, in the background."""
        for s in self.workspace.sessions:
            s.start_loading()

    def open_image_dialog(self) -> None:
        path = ask_open_image(self, self.recent)
        if path:
            self.place_image_file(path)

    def place_image_file(self, path: str) -> bool:
        """Convert, encode and mark the user's picture on the active map."""
        s = self.session
        if s is None:
            self.show_error("No model open", "Open or train a model before placing a picture.")
            return False
        try:
            place_picture(s, path)
        except Exception as exc:
            self.show_error("Cannot use this picture", readable_error(exc))
            return False
        self._say_placed()
        return True

    def _say_placed(self) -> None:
        """Where the picture landed, how usual its error is, and whether to invert it."""
        s = self.session
        if s is None or s.placed is None:
            return
        check = check_picture(s, s.placed).text()
        self.show_message(f"Placed {s.placed.name} on the map (★)" + (f": {check}" if check
                                                                       else ""))

    def invert_picture(self) -> None:
        try:
            if self.session is None:
                raise ValueError("open a model first")
            invert_placed(self.session)
        except ValueError as exc:
            self.show_error("Cannot invert the picture", str(exc))
            return
        self._say_placed()

    def refit_map(self, method: str) -> None:
        if self.session is not None:
            self.session.refine_map(method)

    # ---- readiness & shutdown -----------------------------------------------------------------
    def is_ready(self) -> bool:
        """True when every model can decode, no load or map job is running and the panels
        are docked."""
        return (bool(self.workspace.sessions) and not self.opening() and not self.adding_panels()
                and all(s.is_ready() for s in self.workspace.sessions))

    def shutdown(self) -> None:
        if self.compare_window is not None:
            self.compare_window.shutdown()
        super().shutdown()

    def open_compare(self, paths: list[str] | None = None) -> None:
        """Open the compare view on `paths`, else on the open AE and another saved model,
        else on the bundled digits pair."""
        from latent_atlas.explorer.core.bundled import default_model_paths

        from .compare import CompareWindow

        if paths is None:
            saved = [s for s in self.workspace.sessions if s.path is not None and not s.dirty]
            ae = [s for s in saved if s.kind == "ae"]
            other = [s for s in saved if s.kind != "ae"]
            paths = ([str(ae[0].path), str(other[0].path)] if ae and other
                     else default_model_paths())
        if self.compare_window is None:
            self.compare_window = CompareWindow(self, headless=self.headless)
        self.compare_window.show()
        self.compare_window.open_paths(paths)

    def open_latent2_pair(self) -> None:
        """Open the bundled 2-D digits AE and VAE in the compare view."""
        from latent_atlas.explorer.core.bundled import latent2_model_paths

        self.open_compare(latent2_model_paths())

    def closeEvent(self, ev):  # noqa: N802 - Qt naming
        if self.training.train_dialog is not None:
            self.training.train_dialog.running = False
            self.training.train_dialog.close()
        super().closeEvent(ev)
