"""File menu work: recent files, open / save dialogs, save and exports of a session.

Every action catches the typed errors of core and models and shows one readable message
through its window; the application always keeps running.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from latent_atlas.explorer.session.errors import readable_error
from latent_atlas.explorer.session.panels import files as session_files
from latent_atlas.explorer.session.panels.files import IMAGE_SUFFIXES

MAX_RECENT = 8
MODEL_FILTER = "Latent Atlas models (*.safetensors)"
IMAGE_FILTER = "Pictures (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")"


def app_settings() -> QSettings:
    """The application's settings store (recent files, last folders)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "LatentAtlas",
                     "latent-atlas")


class RecentFiles:
    """Recently opened files (or pairs of files, joined by a newline) under `key`."""

    def __init__(self, key: str = "recent_files"):
        self.key = key
        self.settings = app_settings()
        self.changed: Callable[[], None] | None = None

    def items(self) -> list[str]:
        value = self.settings.value(self.key, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add(self, *paths: str | Path) -> None:
        entry = "\n".join(str(Path(p).resolve()) for p in paths)
        items = [entry] + [r for r in self.items() if r != entry]
        self.settings.setValue(self.key, items[:MAX_RECENT])
        if self.changed is not None:
            self.changed()

    def folder(self) -> str:
        return str(self.settings.value("last_folder", str(Path.home())))

    def remember_folder(self, path: str) -> None:
        self.settings.setValue("last_folder", str(Path(path).parent))


def ask_open_models(parent: QWidget, recent: RecentFiles) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(parent, "Open model", recent.folder(),
                                            f"{MODEL_FILTER};;All files (*)")
    if paths:
        recent.remember_folder(paths[0])
    return list(paths)


def ask_open_image(parent: QWidget, recent: RecentFiles) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open your own image", recent.folder(),
                                          f"{IMAGE_FILTER};;All files (*)")
    if path:
        recent.remember_folder(path)
    return path or None


class FileActions:
    """Save and export the session a window shows.

    `window` is an `AppWindow` (errors and messages go through it); `session` returns
    the session to act on; `canvas` returns the map canvas to export as a picture.
    """

    def __init__(self, window: Any, session: Callable[[], Any], canvas: Callable[[], Any]):
        self.window = window
        self.session = session
        self.canvas = canvas
        self.recent = window.recent

    def recent_files(self) -> list[str]:
        return self.recent.items()

    # ---- save ---------------------------------------------------------------------------
    def save(self) -> bool:
        s = self.session()
        if s is None:
            return False
        return self.save_as() if s.path is None else self.save_to(s.path)

    def save_as(self) -> bool:
        s = self.session()
        if s is None:
            return False
        start = str(s.path) if s.path else str(Path(self.recent.folder()) / f"{s.name}.safetensors")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save model", start, MODEL_FILTER)
        if not path:
            return False
        if not path.endswith(".safetensors"):
            path += ".safetensors"
        return self.save_to(Path(path))

    def save_to(self, path: str | Path) -> bool:
        """Write the session's model, map and labels to `path` (atomic writes)."""
        s = self.session()
        if s is None:
            return False
        try:
            s.save(path)
        except Exception as exc:
            self.window.show_error("Save failed", f"Could not save {Path(path).name}: "
                                   f"{readable_error(exc)}")
            return False
        self.recent.add(path)
        self.window.show_message(f"Saved {path}")
        return True

    # ---- exports ------------------------------------------------------------------------
    def _ask_path(self, title: str, suffix: str, filt: str) -> str | None:
        start = str(Path(self.recent.folder())
                    / session_files.default_export_name(self.session(), suffix))
        path, _ = QFileDialog.getSaveFileName(self.window, title, start, filt)
        if not path:
            return None
        ext = Path(suffix).suffix
        return path if path.lower().endswith(ext) else path + ext

    def export_map_png(self, path: str | None = None) -> bool:
        path = path or self._ask_path("Export map as PNG", "_map.png", "PNG images (*.png)")
        if not path:
            return False
        ok = self.canvas().plot.grab().save(path, "PNG")
        if not ok:
            self.window.show_error("Export failed", f"Could not write {path}.")
        return bool(ok)

    def _has_map(self) -> bool:
        s = self.session()
        if s is None or s.latent_map is None:
            self.window.show_error("Nothing to export", "Open or train a model first.")
            return False
        return True

    def export_codes(self, fmt: str, path: str | None = None) -> bool:
        if not self._has_map():
            return False
        path = path or self._ask_path(f"Export codes as {fmt.upper()}", f"_codes.{fmt}",
                                      f"{fmt.upper()} files (*.{fmt})")
        if not path:
            return False
        return self._export(session_files.export_codes, fmt, path, "codes")

    def export_interop(self, fmt: str, path: str | None = None) -> bool:
        """The map for other viewers: a TensorBoard projector folder or a Parquet table."""
        if not self._has_map():
            return False
        if fmt == "parquet" and not session_files.parquet_available():
            self.window.show_error("Parquet needs pyarrow",
                                   f"Install it with: {session_files.PARQUET_HINT}")
            return False
        if path is None and fmt == "projector":
            start = str(Path(self.recent.folder())
                        / session_files.default_export_name(self.session(), "_projector"))
            path, _ = QFileDialog.getSaveFileName(
                self.window, "Export for TensorBoard's projector (a folder)", start, "Folders (*)")
        elif path is None:
            path = self._ask_path("Export as Parquet", ".parquet", "Parquet tables (*.parquet)")
        if not path:
            return False
        return self._export(session_files.export_interop, fmt, path, "points")

    def _export(self, export, fmt: str, path: str, what: str) -> bool:
        """Run one export of the active session; a failure is a dialog, success a line."""
        try:
            n = export(self.session(), fmt, path)
        except Exception as exc:
            self.window.show_error("Export failed", readable_error(exc))
            return False
        self.window.show_message(f"Exported {n:,} {what} to {path}")
        return True

    def export_strip(self, fmt: str, path: str | None = None) -> bool:
        if not session_files.has_strip(self.session()):
            self.window.show_error("No strip to export", "Draw an arrow on the map first "
                                   "(Arrow tool or Shift+drag), and wait until the model has "
                                   "loaded.")
            return False
        path = path or self._ask_path(f"Export strip as {fmt.upper()}", f"_strip.{fmt}",
                                      f"{fmt.upper()} images (*.{fmt})")
        if not path:
            return False
        try:
            session_files.export_strip(self.session(), fmt, path)
        except Exception as exc:
            self.window.show_error("Export failed", readable_error(exc))
            return False
        self.window.show_message(f"Exported the strip to {path}")
        return True
