"""What both windows share: status line, job progress bar, error dialogs, the File
menu's open / recent / quit, dropping files, and stopping every job on close.

`AppWindow` is the base of the main and the compare window; each adds its own views
and decides what `open_paths` means for it.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QWidget,
)

from latent_atlas.explorer.session.jobs import Jobs
from latent_atlas.explorer.session.status import StatusLine

from .dispatch import QtDispatcher
from .file_actions import RecentFiles, ask_open_models

TOOL_KEYS = {"explore": "E", "arrow": "A", "pan": "P", "lasso": "L", "box": "B"}
TOOL_TIPS = {"explore": "Explore: click or drag to decode (E)",
             "arrow": "Arrow: drag to draw an interpolation arrow; click one to select it (A)",
             "pan": "Pan: drag to move the map (P)",
             "lasso": "Lasso: drag around samples to select them; Shift adds, Alt removes (L)",
             "box": "Box: drag a rectangle to select samples; Shift adds, Alt removes (B)"}


def build_tool_actions(window: QMainWindow, tools: Any) -> tuple[QActionGroup, dict[str, QAction]]:
    """The Explore / Arrow / Pan actions of a window, kept in step with `tools`."""
    group = QActionGroup(window)
    actions: dict[str, QAction] = {}
    for tool in TOOL_KEYS:
        a = QAction(tool.capitalize(), window, checkable=True)
        a.setShortcut(QKeySequence(TOOL_KEYS[tool]))
        a.setToolTip(TOOL_TIPS[tool])
        a.triggered.connect(lambda _c=False, t=tool: tools.set_tool(t))
        group.addAction(a)
        actions[tool] = a
    actions[tools.tool].setChecked(True)
    tools.changed.connect(lambda: actions[tools.tool].setChecked(True))
    return group, actions


class AppWindow(QMainWindow):
    """A window over sessions (see module docstring)."""

    readyChanged = Signal()

    def __init__(self, parent: QWidget | None = None, *, headless: bool = False):
        super().__init__(parent)
        # Screenshots run with nobody to press OK: errors then go to stderr instead.
        self.headless = headless
        self.source_data: str | None = None  # the data of models opened with --python
        self.headless_errors: list[str] = []  # what show_error printed with nobody to see it
        self.dispatcher = QtDispatcher(self)
        self.jobs = Jobs(self.dispatcher)
        self.jobs.changed.connect(lambda *_args: self.readyChanged.emit())
        self.recent = RecentFiles(self.recent_key)
        self.status_label = QLabel("")
        self.status_label.setAccessibleName("Status")
        # What the line says, and its final sentence when the job it speaks for ends.
        self.status = StatusLine()
        self.status.changed.connect(lambda text: self.status_label.setText(text))
        self.status.follow(self.jobs)
        self.task_bar = QProgressBar()
        self.task_bar.setRange(0, 1000)
        self.task_bar.setMaximumWidth(220)
        self.task_bar.hide()
        self.position_label = QLabel("")  # the mouse's map position (see show_position)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.position_label)
        self.statusBar().addPermanentWidget(self.task_bar)
        self.setAcceptDrops(True)
        self.panels: dict[str, Any] = {}  # the application panels' docks (add_panels)
        self._panel_steps: Any = None  # while add_panels(gradually=True) docks them

    recent_key = "recent_files"

    def add_panels(self, gradually: bool = False) -> None:
        """Dock the application panels (once). The app calls this right after the first
        paint with `gradually`: one panel per turn of the event loop, so the window keeps
        answering while they are built (hidden at start, ~0.1-0.2 s in all); a window made
        with `defer_panels=False` has them from its constructor."""
        if self.panels or self._panel_steps is not None:
            if not gradually:
                self._finish_panels()
            return
        from .panels import panel_steps

        self._panel_steps = panel_steps(self, self.shown, self.jobs, self.panels)
        if gradually:
            self._next_panel()
        else:
            self._finish_panels()

    def adding_panels(self) -> bool:
        """The panels are still being docked one by one (`add_panels(gradually=True)`)."""
        return self._panel_steps is not None

    def _next_panel(self) -> None:
        if self._panel_steps is None:
            return
        if next(self._panel_steps, None) is None:
            self._panels_done()
        else:
            QTimer.singleShot(0, self._next_panel)

    def _finish_panels(self) -> None:
        if self._panel_steps is not None:
            for _key in self._panel_steps:
                pass
            self._panels_done()

    def _panels_done(self) -> None:
        from .map_actions import name_controls

        self._panel_steps = None
        name_controls(self)  # the panels' controls get accessible names too
        self.readyChanged.emit()

    # ---- to override ---------------------------------------------------------------------
    def open_paths(self, paths: list[str]) -> int:  # pragma: no cover - both windows override
        raise NotImplementedError

    def sessions(self) -> list[Any]:  # pragma: no cover - both windows override
        raise NotImplementedError

    def panels_busy(self) -> bool:
        """A shown application panel still has work pending or running (screenshots wait)."""
        docks = self.panels
        pending = any(d.widget().live and d.widget().model.stale for d in docks.values())
        return pending or any(not j.name.startswith(("train", "sweep"))
                              for j in self.jobs.running())

    # ---- messages ------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        """The one way errors reach the user: a warning box with a readable message."""
        if self.headless:
            print(f"latent-atlas: error: {title}: {message}", file=sys.stderr)
            self.headless_errors.append(f"{title}: {message}")
            return
        QMessageBox.warning(self, title, message)

    def show_message(self, text: str) -> None:
        self.status.show(text)

    def warm_up_umap(self) -> None:
        """Compile UMAP's kernels in the background, once per environment (the status
        line says so)."""
        from latent_atlas.explorer.session.warmup import start_umap_warm_up

        start_umap_warm_up(self.jobs, self.show_message)

    def show_position(self, xy: Any) -> None:
        """The mouse's map position in the status line ("x 1.23, y -0.45"), or nothing."""
        self.position_label.setText("" if xy is None else f"x {xy[0]:.2f}, y {xy[1]:.2f}")

    def show_progress(self, event: Any) -> None:
        """A job's progress event in the task bar; None hides the bar."""
        if event is None:
            self.task_bar.hide()
            return
        text = event.message
        self.task_bar.show()
        self.task_bar.setValue(int(1000 * max(0.0, min(1.0, event.fraction or 0.0))))
        self.task_bar.setFormat(text[:40] or "%p%")
        self.task_bar.setTextVisible(True)

    def watch(self, session: Any) -> None:
        """Show a session's messages and job progress in this window's status bar."""
        session.message.connect(lambda text: self.status.show(text, session))
        self.status.follow(session.jobs, lambda: f"{session.name}: ", session)
        session.progress.connect(self.show_progress)
        session.jobs.changed.connect(lambda *_args: self.readyChanged.emit())
        session.data_missing.connect(lambda spec: self.ask_for_moved_data(session, spec))

    def ask_for_moved_data(self, session: Any, spec: str) -> None:
        """The data a model names has moved: ask where it is now, or keep the map only."""
        if self.headless:
            self.headless_errors.append(f"data moved: {session.data_note}")
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Data not found",
                          f"{session.data_note}\n\nThe map and decoding work without it; "
                          "sample pictures, reconstructions and colours by error need it.",
                          parent=self)
        locate = box.addButton("Locate the data…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Map only", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is locate:
            path = ask_data_location(self, spec)
            if path:
                self.relocate_data(session, spec, path)

    def relocate_data(self, session: Any, spec: str, path: str) -> None:
        from latent_atlas.explorer.session.opening import relocated_spec

        try:
            session.reload_data(relocated_spec(spec, path))
        except ValueError as exc:
            self.show_error("Cannot use that data", str(exc))

    # ---- File menu -------------------------------------------------------------------------
    def action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(lambda _checked=False: slot())
        return a

    def add_open_actions(self, menu: QMenu, open_text: str = "&Open model…") -> None:
        """Open…, Open recent and a separator: the top of both File menus."""
        self.act_open = self.action(open_text, self.open_dialog, QKeySequence.StandardKey.Open)
        menu.addAction(self.act_open)
        self.act_open_python = self.action("Open &Python model…", self.open_python_dialog)
        menu.addAction(self.act_open_python)
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent.changed = self.update_recent_menu
        self.update_recent_menu()

    def open_dialog(self) -> None:
        paths = ask_open_models(self, self.recent)
        if paths:
            self.open_paths(paths)

    def open_python_dialog(self) -> None:
        """Ask for a Python file and factory (the dialog says the code will run), open it."""
        from .python_model_dialog import PythonModelDialog

        dialog = PythonModelDialog(self, data=self.source_data or "digits")
        if dialog.exec() != PythonModelDialog.DialogCode.Accepted:
            return
        try:
            sources = dialog.sources()
        except ValueError as exc:
            self.show_error("Cannot open Python model", str(exc))
            return
        self.open_sources(sources, dialog.data())

    def open_sources(self, items: list, data: str | None) -> int:
        """Open models of the user's own (`UserSource`s, model folders; model files may come
        along) with the data spec `data`, in the background: running a factory may train a
        model. The window shows them (`add_prepared`) when all have opened; a failure is a
        dialog. Returns how many are on their way."""
        from latent_atlas.explorer.session.open_session import prepare

        self.source_data = data
        items = list(items)
        self._open_count = getattr(self, "_open_count", 0) + 1
        job = self.jobs.start(f"open-{self._open_count}",
                              lambda cancel: [prepare(i, data=data) for i in items])
        job.succeeded.connect(self.add_prepared)
        job.failed.connect(lambda msg: self.show_error("Cannot open model", msg))
        job.start()
        self.show_message(f"opening {', '.join(Path(i).name for i in items)}…")
        return len(items)

    def add_prepared(self, prepared: list) -> None:  # pragma: no cover - windows override
        raise NotImplementedError

    def opening(self) -> bool:
        """Models of the user's own are still opening (their code runs)."""
        return any(j.name.startswith("open-") for j in self.jobs.running())

    def update_recent_menu(self) -> None:
        self.recent_menu.clear()
        items = self.recent.items()
        for entry in items:
            a = self.recent_menu.addAction(entry.replace("\n", "  +  "))
            a.triggered.connect(lambda _c=False, e=entry: self.open_paths(e.split("\n")))
        self.recent_menu.setEnabled(bool(items))

    # ---- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, ev):  # noqa: N802 - Qt naming
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev):  # noqa: N802 - Qt naming
        paths = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
        if paths:
            ev.acceptProposedAction()
            self.open_paths(paths)

    # ---- shutdown -----------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every background job (the window's and its sessions') and wait for them."""
        self._panel_steps = None  # no panel is docked into a window that is closing
        self.jobs.shutdown()
        for s in self.sessions():
            s.close()

    def closeEvent(self, ev):  # noqa: N802 - Qt naming
        self.shutdown()
        super().closeEvent(ev)


def close_window(window, app) -> None:
    """Stop threads and destroy Qt objects while the QApplication still exists.

    PySide6 6.12 + pyqtgraph can abort at interpreter exit ("none_dealloc") when Qt objects
    outlive the application; deleting them here, then collecting, avoids that.
    """
    window.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()
    app.sendPostedEvents(None, 0)
    app.processEvents()
    del window
    gc.collect()


def ask_data_location(parent: QWidget, spec: str) -> str:
    """Ask where the data of `spec` is now: a file for file sources, else a folder."""
    from latent_atlas.explorer.session.opening import spec_names_a_file

    title = f"Where is the data '{spec}' now?"
    if spec_names_a_file(spec):
        return QFileDialog.getOpenFileName(parent, title)[0]
    return QFileDialog.getExistingDirectory(parent, title)
