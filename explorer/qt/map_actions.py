"""What both windows add to their menus for the map: Home, the selection (clear, export),
File ▸ Save view…, Edit ▸ Copy as command, Help ▸ Keyboard shortcuts, and an
accessible name on every control. The work is the session floor's
(latent_atlas.explorer.session.selection_summary, latent_atlas.explorer.session.viewfile); this binds it.

A window hands over its canvases (Home frames the ones that follow their bounds; the
compare window's second map is linked to its first), the session its gestures apply to
and its kind ("main" or "compare").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QSlider,
    QWidget,
)

from latent_atlas.explorer.session.errors import readable_error
from latent_atlas.explorer.session.selection_summary import export_selection
from latent_atlas.explorer.session.viewfile import (
    ViewState,
    capture,
    command_for,
    read_view,
    restore,
    save_view,
)

GESTURES = (
    ("Wheel", "zoom the map"), ("Middle drag", "pan the map"),
    ("Shift+drag", "draw an arrow (Explore and Pan tools)"),
    ("Shift+lasso / box", "add to the selection"), ("Alt+lasso / box", "remove from it"),
    ("Click (lasso or box tool)", "clear the selection"), ("Backspace", "delete the arrow"),
)
EXPORT_FILTERS = {"npz": "NumPy archive (*.npz)", "parquet": "Parquet table (*.parquet)",
                  "png": "Folder of PNG images (*)"}


class MapActions:
    """The shared map actions of one window (see module docstring)."""

    def __init__(self, window: Any, canvases: list[Any], session: Callable[[], Any],
                 kind: str) -> None:
        self.w = window
        self.canvases = canvases
        self.session = session
        self.kind = kind
        a = window.action
        self.home = a("&Home (fit the data)", self.go_home, QKeySequence("Home"),
                      "Fit the data in the view, with the legend off the points")
        self.home.setToolTip("Home: fit the data in the view (Home key)")
        self.clear = a("Clear selection", self.clear_selection, QKeySequence("Esc"))
        self.export = a("Export selection…", self.ask_export, None,
                        "The selected samples as npz, a folder of PNGs or Parquet")
        self.save_view = a("Save &view…", self.ask_save_view, None,
                           "Models, data, view, colouring, arrows and selection as JSON")
        self.copy_command = a("Copy as &command", self.copy_as_command,
                              QKeySequence("Ctrl+Shift+C"),
                              "The command line twin of the decode, arrow or selection")
        self.shortcuts = a("&Keyboard shortcuts", self.show_shortcuts, QKeySequence("F1"))
        self.thumbnails = a("&Thumbnails on the map", self.toggle_thumbnails, QKeySequence("T"),
                            "Zoomed in to a few hundred points, draw their images")
        self.thumbnails.setCheckable(True)
        self.thumbnails.setChecked(True)

    def install(self, file_menu: Any, map_menu: Any, toolbar: Any) -> None:
        """Put the actions in the window's menus (and Home on its toolbar)."""
        quit_or_close = file_menu.actions()[-1] if file_menu.actions() else None
        file_menu.insertAction(quit_or_close, self.save_view)
        file_menu.insertAction(quit_or_close, self.export)
        file_menu.insertSeparator(quit_or_close)
        map_menu.addSeparator()
        for act in (self.home, self.clear, self.thumbnails):
            map_menu.addAction(act)
        self.w.menuBar().addMenu("&Edit").addAction(self.copy_command)
        self.w.menuBar().addMenu("&Help").addAction(self.shortcuts)
        toolbar.insertAction(toolbar.actions()[0] if toolbar.actions() else None, self.home)

    # ---- view & selection -------------------------------------------------------------------
    def go_home(self) -> None:
        for c in self.canvases:
            if c.follow_bounds:
                c.home()

    def toggle_thumbnails(self) -> None:
        for c in self.canvases:
            c.thumbs.set_enabled(self.thumbnails.isChecked())

    def clear_selection(self) -> None:
        s = self.session()
        if s is not None:
            s.clear_selection()

    def export_selection(self, fmt: str, path: str) -> int:
        """Write the selection; a failure is a dialog (or stderr headless), never a crash."""
        s = self.session()
        try:
            if s is None:
                raise ValueError("open a model first")
            n = export_selection(s, fmt, path)
        except Exception as exc:
            self.w.show_error("Cannot export the selection", readable_error(exc))
            return 0
        self.w.show_message(f"{n:,} selected samples written to {Path(path).name}")
        return n

    def ask_export(self, fmt: str | None = None) -> None:
        """Ask where (and, from the menu, in which format) to write the selection."""
        if fmt == "png":
            path = QFileDialog.getExistingDirectory(self.w, "Folder for the selected images")
            chosen = EXPORT_FILTERS["png"]
        else:
            filters = [EXPORT_FILTERS[fmt]] if fmt else list(EXPORT_FILTERS.values())
            default = f"selection.{fmt or 'npz'}"
            path, chosen = QFileDialog.getSaveFileName(self.w, "Export selection", default,
                                                       ";;".join(filters))
        if path:
            fmt = next((k for k, v in EXPORT_FILTERS.items() if v == chosen), fmt or "npz")
            self.export_selection(fmt, path)

    # ---- saved views ------------------------------------------------------------------------
    def save_view_to(self, path: str) -> bool:
        c = self.canvases[0]
        s = self.session()
        try:
            if s is None:
                raise ValueError("open a model first")
            state = capture(self.w.sessions(), window=self.kind, view=c.visible_rect(),
                            active=s)
            save_view(path, state)
        except Exception as exc:
            self.w.show_error("Cannot save the view", readable_error(exc))
            return False
        self.w.show_message(f"view saved as {Path(path).name}: open it with File ▸ Open or "
                            f"latent-atlas {Path(path).name}")
        return True

    def open_view(self, path: str) -> int:
        """Open a saved view: its models (in the compare window for a compare view), then
        its colouring, arrows, selection and view range; returns how many models opened."""
        try:
            state = read_view(path)
        except ValueError as exc:
            self.w.show_error("Cannot open the view", readable_error(exc))
            return 0
        target = self
        if state.window == "compare" and self.kind == "main":
            self.w.open_compare(state.models)
            target = self.w.compare_window.map_actions
        elif state.window == "compare":
            if not self.w.open_pair(state.models, load=True):
                return 0
        elif self.kind == "compare":
            self.w.show_error("Cannot open the view", f"{Path(path).name} is a view of the "
                              "main window: open it there (File ▸ Open model…)")
            return 0
        else:
            before = len(self.w.workspace.sessions)
            if self.w.open_paths(state.models) != len(state.models):
                return 0
            self.w.workspace.set_active(before + min(state.active, len(state.models) - 1))
        target.apply_view(state)
        return len(state.models)

    def apply_view(self, state: ViewState) -> None:
        s = self.session()
        if s is None:
            return
        problems = restore(s, state)
        for other in self.w.sessions():
            other.set_colour_key(state.colour)  # the linked map follows the rest
        if state.view is not None:
            for c in self.canvases:
                c.flush()
            x0, x1, y0, y1 = state.view
            self.canvases[0].vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)
            for c in self.canvases:
                c.keep_view()
        if problems:
            self.w.show_message("view opened, but " + "; ".join(problems))

    def ask_save_view(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.w, "Save view", "view.json",
                                              "Latent Atlas view (*.json)")
        if path:
            self.save_view_to(path)

    def copy_as_command(self) -> str:
        s = self.session()
        try:
            if s is None:
                raise ValueError("open a model first")
            text = command_for(s)
        except Exception as exc:
            self.w.show_error("Nothing to copy", readable_error(exc))
            return ""
        QApplication.clipboard().setText(text)
        self.w.show_message(f"copied: {text}")
        return text

    # ---- help ---------------------------------------------------------------------------------
    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) of every action with a shortcut, then the mouse gestures."""
        rows: dict[str, str] = {}
        for act in self.w.findChildren(QAction):
            for seq in act.shortcuts():
                keys = seq.toString(QKeySequence.SequenceFormat.NativeText)
                if keys and keys not in rows:
                    rows[keys] = act.text().replace("&", "")
        return sorted(rows.items()) + list(GESTURES)

    def show_shortcuts(self) -> None:
        text = "\n".join(f"{keys}\t{what}" for keys, what in self.shortcut_rows())
        if self.w.headless:
            self.w.show_message(text.splitlines()[0])
            return
        QMessageBox.information(self.w, "Keyboard shortcuts", text)


def name_controls(root: QWidget) -> int:
    """Give every control under `root` without an accessible name one, from its text,
    tool tip, prefix or placeholder; returns how many were named."""
    named = 0
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QSlider)
    for w in root.findChildren(QWidget):
        if not isinstance(w, kinds) or w.accessibleName():
            continue
        name = ""
        if isinstance(w, QAbstractButton):
            name = w.text().replace("&", "").strip()
        elif isinstance(w, QAbstractSpinBox):
            name = (getattr(w, "prefix", lambda: "")() or "").strip()
        elif isinstance(w, QLineEdit):
            name = w.placeholderText()
        name = name or w.toolTip().split(":")[0].split("(")[0].strip() or w.statusTip()
        name = name or w.objectName() or type(w).__name__.lstrip("Q")
        w.setAccessibleName(name)
        named += 1
    return named
