"""File menu work: open / save models, recent files, exports. Errors become dialogs.

Kept apart from the window so the window module stays about layout and wiring. Every
action catches the typed errors of core and models and shows one readable message; the
application always keeps running.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from explorer.core.io.images import IMAGE_SUFFIXES

from .workers import readable_error

if TYPE_CHECKING:
    from .main_window import MainWindow

MAX_RECENT = 8
MODEL_FILTER = "Latent Atlas models (*.safetensors)"
IMAGE_FILTER = "Pictures (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")"


def app_settings() -> QSettings:
    """The application's settings store (recent files, last folders)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "LatentAtlas",
                     "latent-atlas")


# Set by `--screenshot`: nobody can press OK on a dialog, so errors go to stderr instead.
HEADLESS = False


def show_error(parent, title: str, message: str) -> None:
    """The one way errors reach the user: a warning box with a readable message."""
    if HEADLESS:
        print(f"latent-atlas: {title}: {message}", file=sys.stderr)
        return
    QMessageBox.warning(parent, title, message)


class FileActions:
    def __init__(self, window: MainWindow):
        self.window = window
        self.state = window.state
        self.settings = app_settings()

    # ---- recent files -----------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        items = [p] + [r for r in self.recent_files() if r != p]
        self.settings.setValue("recent_files", items[:MAX_RECENT])
        self.window.update_recent_menu()

    def _folder(self) -> str:
        return str(self.settings.value("last_folder", str(Path.home())))

    def _remember_folder(self, path: str) -> None:
        self.settings.setValue("last_folder", str(Path(path).parent))

    # ---- open ---------------------------------------------------------------------------
    def open_model_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.window, "Open model", self._folder(),
                                                f"{MODEL_FILTER};;All files (*)")
        if paths:
            self._remember_folder(paths[0])
            self.window.open_paths(paths)

    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open your own image", self._folder(),
                                              f"{IMAGE_FILTER};;All files (*)")
        if path:
            self._remember_folder(path)
            self.window.place_image_file(path)

    # ---- save ---------------------------------------------------------------------------
    def save(self) -> bool:
        e = self.state.active
        if e is None:
            return False
        if e.path is None:
            return self.save_as()
        return self.save_to(e.path)

    def save_as(self) -> bool:
        e = self.state.active
        if e is None:
            return False
        start = str(e.path) if e.path else str(Path(self._folder()) / f"{e.name}.safetensors")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save model", start, MODEL_FILTER)
        if not path:
            return False
        if not path.endswith(".safetensors"):
            path += ".safetensors"
        return self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        """Write the active model, its map and labels to `path` (atomic writes)."""
        from explorer.core.io.saving import save_explorable

        e = self.state.active
        if e is None:
            return False
        if e.model is None:
            show_error(self.window, "Cannot save yet", "The model is still loading; try again in a moment.")
            return False
        try:
            labels = e.labels if e.labels is not None and len(e.labels) == e.n_points else None
            save_explorable(path, e.model, latent_map=e.latent_map, data_spec=e.data_spec,
                            label_names=e.label_names, history=e.meta.get("history"),
                            labels=labels)
        except Exception as exc:
            show_error(self.window, "Save failed", f"Could not save {Path(path).name}: {readable_error(exc)}")
            return False
        e.path, e.name, e.dirty = Path(path), Path(path).stem, False
        self.state.entriesChanged.emit()
        self.add_recent(path)
        self.state.message.emit(f"Saved {path}")
        return True

    # ---- exports ------------------------------------------------------------------------
    def _ask_path(self, title: str, suffix: str, filt: str) -> str | None:
        from explorer.core.io.exports import default_export_name

        e = self.state.active
        start = str(Path(self._folder()) / default_export_name(e.path if e else None, suffix))
        path, _ = QFileDialog.getSaveFileName(self.window, title, start, filt)
        if not path:
            return None
        ext = Path(suffix).suffix
        return path if path.lower().endswith(ext) else path + ext

    def export_map_png(self, path: str | None = None) -> bool:
        path = path or self._ask_path("Export map as PNG", "_map.png", "PNG images (*.png)")
        if not path:
            return False
        ok = self.window.map_view.plot.grab().save(path, "PNG")
        if not ok:
            show_error(self.window, "Export failed", f"Could not write {path}.")
        return bool(ok)

    def export_codes(self, fmt: str, path: str | None = None) -> bool:
        from explorer.core.io.exports import export_codes_csv, export_codes_npz

        e = self.state.active
        if e is None or e.latent_map is None:
            show_error(self.window, "Nothing to export", "Open or train a model first.")
            return False
        path = path or self._ask_path(f"Export codes as {fmt.upper()}", f"_codes.{fmt}",
                                      f"{fmt.upper()} files (*.{fmt})")
        if not path:
            return False
        labels = e.labels if e.labels is not None and len(e.labels) == e.n_points else None
        writer = export_codes_csv if fmt == "csv" else export_codes_npz
        try:
            writer(path, np.asarray(e.latent_map.codes), np.asarray(e.latent_map.positions),
                   labels, e.label_names)
        except Exception as exc:
            show_error(self.window, "Export failed", readable_error(exc))
            return False
        self.state.message.emit(f"Exported {e.n_points:,} codes to {path}")
        return True

    def export_strip(self, fmt: str, path: str | None = None) -> bool:
        from explorer.core.io.exports import export_strip_gif, export_strip_png

        a = self.state.selected()
        if a is None or a.frames is None:
            show_error(self.window, "No strip to export", "Draw an arrow on the map first "
                       "(Arrow tool or Shift+drag), and wait until the model has loaded.")
            return False
        path = path or self._ask_path(f"Export strip as {fmt.upper()}", f"_strip.{fmt}",
                                      f"{fmt.upper()} images (*.{fmt})")
        if not path:
            return False
        try:
            if fmt == "gif":
                export_strip_gif(path, a.frames)
            else:
                export_strip_png(path, [a.frames, a.fade])
        except Exception as exc:
            show_error(self.window, "Export failed", readable_error(exc))
            return False
        self.state.message.emit(f"Exported the strip to {path}")
        return True
