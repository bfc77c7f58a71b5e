"""Fixtures for the window tests: tiny digits models with stored maps, a ready window,
mouse helpers for the pyqtgraph map, and recorded (never blocking) message boxes."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from latent_atlas.explorer.qt.refguard import pin_singletons  # noqa: E402

pin_singletons()  # as the application does at start (see explorer/qt/refguard.py)


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory):
    """Recent files etc. go to a temporary folder, never the user's settings."""
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    from latent_atlas.explorer.qt.app import configure_pyqtgraph

    configure_pyqtgraph()
    yield


@pytest.fixture(scope="session", autouse=True)
def _gc_on_gui_thread(qapp):
    """As in the app: Qt objects must never be collected by a worker thread."""
    from latent_atlas.explorer.qt.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector().start()
    yield
    collector.stop()


@pytest.fixture(scope="session")
def model_files(tmp_path_factory, digits):
    """A small AE and VAE trained briefly on digits, each storing a PCA map and labels."""
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import run_training

    folder = tmp_path_factory.mktemp("models")
    paths = []
    for kind in ("ae", "vae"):
        cfg = ModelConfig(kind=kind, arch="conv", input_shape=(1, 8, 8), latent_dim=4,
                          hidden=(8, 16), epochs=3, seed=1)
        result = run_training(build_model(cfg), digits.images, device="cpu")
        codes = encode(result.model, digits.images)
        path = folder / f"digits_{kind}.safetensors"
        save_explorable(path, result.model, latent_map=quick_map(codes), data_spec="digits",
                        label_names=list(digits.label_names), history=result.history,
                        labels=digits.labels)
        paths.append(str(path))
    return paths


class Boxes:
    """Records QMessageBox calls instead of showing them (a modal box would block)."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def __call__(self, parent, title, text, *args, **kwargs):
        self.calls.append((title, text))
        return QMessageBox.StandardButton.Ok


@pytest.fixture()
def boxes(monkeypatch):
    rec = Boxes()
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, rec)
    return rec


def close_window(window) -> None:
    import gc

    window.shutdown()
    window.close()
    window.deleteLater()
    QApplication.processEvents()
    gc.collect()  # the window's reference cycles go now, on the GUI thread


@pytest.fixture()
def window(qtbot, model_files, boxes):
    """A shown main window with both models loaded (decoders ready, data loaded)."""
    from latent_atlas.explorer.qt.main_window import MainWindow

    w = MainWindow()
    w.open_paths(model_files, load=False)
    w.show()
    qtbot.waitExposed(w)
    w.start_loading()
    qtbot.waitUntil(w.is_ready, timeout=60_000)
    qtbot.waitUntil(lambda: all(s.images is not None for s in w.workspace.sessions), timeout=60_000)
    yield w
    close_window(w)
