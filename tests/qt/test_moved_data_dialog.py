"""The window's side of moved data: the session announces it, the window asks where the
data is now (or keeps the map only) and hands the answer back to the session."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import close_window
from PySide6.QtWidgets import QMessageBox


@pytest.fixture
def moved(tmp_path):
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    images = np.random.default_rng(2).integers(0, 256, (25, 1, 8, 8), dtype=np.uint8)
    old = tmp_path / "data.npz"
    np.savez(old, images=images)
    model = build_model(ModelConfig(kind="ae", arch="mlp", input_shape=(1, 8, 8),
                                    latent_dim=2, hidden=(8,)))
    path = tmp_path / "m.safetensors"
    save_explorable(path, model, latent_map=quick_map(encode(model, images)),
                    data_spec=f"npz:{old}")
    new = tmp_path / "now.npz"
    old.rename(new)
    return path, new


@pytest.mark.parametrize("answer", ["locate", "map only"])
def test_the_window_asks_where_moved_data_is(qtbot, moved, monkeypatch, answer):
    import latent_atlas.explorer.qt.chrome as chrome
    from latent_atlas.explorer.qt.main_window import MainWindow

    path, new = moved
    asked: list[str] = []

    def clicked(box):
        asked.append(box.text())
        want = "Locate" if answer == "locate" else "Map only"
        return next(b for b in box.buttons() if b.text().startswith(want))

    monkeypatch.setattr(QMessageBox, "exec", lambda box: 0)
    monkeypatch.setattr(QMessageBox, "clickedButton", clicked)
    monkeypatch.setattr(chrome, "ask_data_location", lambda parent, spec: str(new))
    w = MainWindow()
    try:
        w.open_paths([str(path)], load=False)
        w.start_loading()
        qtbot.waitUntil(lambda: bool(asked), timeout=60_000)
        assert "not there any more" in asked[0] and "map and decoding work" in asked[0]
        s = w.workspace.sessions[0]
        if answer == "locate":
            qtbot.waitUntil(lambda: s.images is not None, timeout=60_000)
            assert len(s.images) == 25 and s.data_spec == f"npz:{new}" and s.dirty
        else:
            qtbot.waitUntil(lambda: not s.jobs.running("runtime"), timeout=60_000)
            assert s.images is None and "not there any more" in s.data_status()
    finally:
        close_window(w)


def test_a_headless_window_records_moved_data_instead_of_asking(qtbot, moved):
    from latent_atlas.explorer.qt.main_window import MainWindow

    path, _new = moved
    w = MainWindow(headless=True)
    try:
        w.open_paths([str(path)], load=False)
        w.start_loading()
        qtbot.waitUntil(lambda: any("data moved" in e for e in w.headless_errors),
                        timeout=60_000)
    finally:
        close_window(w)
