"""The main window's training: the Train dialog and its job (the new model opens in the
window when it is done), and the β sweep dialog. The training itself runs on the session
floor (`session.training.train_task`); this binds it to the dialogs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sweep_dialog import SweepDialog
    from .train_dialog import TrainDialog


# The main window (typed loosely: naming its class here would make an import circle).
MainWindow = Any


class ModelTraining:
    """Train… and β sweep… of the main window `w` (see module docstring)."""

    def __init__(self, w: MainWindow) -> None:
        self.w = w
        self.train_dialog: TrainDialog | None = None
        self.sweep_dialog: SweepDialog | None = None
        self.job: Any = None

    def show_train_dialog(self) -> TrainDialog:
        from .train_dialog import TrainDialog

        if self.train_dialog is None:
            s = self.w.session
            self.train_dialog = TrainDialog(self.w, s.data_spec if s and s.data_spec else "digits")
            self.train_dialog.trainRequested.connect(self.start)
            self.train_dialog.cancelRequested.connect(self.cancel)
        self.train_dialog.show()
        self.train_dialog.raise_()
        return self.train_dialog

    def show_sweep_dialog(self) -> SweepDialog:
        from latent_atlas.explorer.session.sweep import sweep_defaults

        from .sweep_dialog import SweepDialog

        if self.sweep_dialog is None:
            s = self.w.session
            self.sweep_dialog = SweepDialog(self.w.jobs, sweep_defaults(
                s.config if s else None, s.data_spec if s else ""), self.w)
        self.sweep_dialog.show()
        self.sweep_dialog.raise_()
        return self.sweep_dialog

    def start(self, request: Any) -> None:
        from latent_atlas.explorer.session.training import train_task

        w = self.w
        if self.job is not None and self.job.is_running():
            w.show_error("Already training", "Wait for the current training or cancel it.")
            return
        dlg = self.show_train_dialog()
        job = w.jobs.start("train", lambda cancel: train_task(request, cancel))
        self.job = job
        job.progress.connect(dlg.show_progress)
        job.succeeded.connect(self._on_trained)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(lambda: dlg.finished("Training cancelled before the first epoch."))
        dlg.started()
        job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_failed(self, msg: str) -> None:
        if self.train_dialog is not None:
            self.train_dialog.finished(f"Training failed: {msg}")
        self.w.show_error("Training failed", msg)

    def _on_trained(self, out: Any) -> None:
        w, dlg, result = self.w, self.train_dialog, out.result
        session = out.session(w.dispatcher)
        if session is None:
            if dlg is not None:
                dlg.finished(result.message or "No epoch finished; nothing to explore.")
            return
        w.add_session(session)
        msg = (f"{result.message} The map shows PCA now; UMAP is refining in the background. "
               "Save it with File ▸ Save model.")
        if dlg is not None:
            dlg.finished(msg)
        w.show_message(msg)
