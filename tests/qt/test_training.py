"""Training from the dialog: live progress, cancel, and the map of the new model."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer


def _fill(dlg, epochs: int, spec: str = "digits") -> None:
    dlg.data_spec.setCurrentText(spec)
    dlg.epochs.setValue(epochs)
    dlg.latent.setValue(4)
    dlg.batch.setValue(256)
    dlg.device.setCurrentText("cpu")


def _stop_map_jobs(window) -> None:
    for s in window.workspace.sessions:
        for job in s.jobs.running("map"):
            job.cancel()


def test_one_epoch_from_the_dialog_adds_an_explorable_map(window, qtbot, boxes):
    dlg = window.show_train_dialog()
    _fill(dlg, epochs=1)
    n_before = len(window.workspace.sessions)
    qtbot.mouseClick(dlg.train_button, Qt.MouseButton.LeftButton)
    assert dlg.running and not dlg.train_button.isEnabled()
    qtbot.waitUntil(lambda: len(window.workspace.sessions) == n_before + 1, timeout=120_000)
    e = window.session
    assert e.dirty and e.decoder is not None and e.n_points == 1797
    assert e.latent_map.method == "pca"  # at once; UMAP refines in the background
    assert window.canvas.points.n_points == 1797
    assert len(e.meta["history"]) == 1
    assert len(dlg._history["total (train)"][0]) == 1 and len(dlg._history["total (val)"][0]) == 1
    assert dlg.progress.value() == 1000 and not dlg.running
    assert e.jobs.running("map") or e.latent_map.method == "umap"
    window.session.request_decode(e.latent_map.positions[0])
    window.session.flush_decode()
    assert window.session.cursor_image.shape == (8, 8)
    _stop_map_jobs(window)
    assert boxes.calls == []


def test_cancel_keeps_the_last_complete_epoch(window, qtbot):
    dlg = window.show_train_dialog()
    _fill(dlg, epochs=500)
    n_before = len(window.workspace.sessions)
    qtbot.mouseClick(dlg.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(dlg._history.get("total (train)", ([], []))[0]) >= 1,
                    timeout=120_000)
    qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    assert "cancelled" in dlg.status.text().lower()
    assert len(window.workspace.sessions) == n_before + 1
    e = window.session
    assert 1 <= len(e.meta["history"]) < 500
    _stop_map_jobs(window)


def test_bad_data_spec_is_a_readable_error(window, qtbot, boxes, tmp_path):
    dlg = window.show_train_dialog()
    _fill(dlg, epochs=1, spec=f"folder:{tmp_path / 'nowhere'}")
    n_before = len(window.workspace.sessions)
    qtbot.mouseClick(dlg.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    assert boxes.calls and boxes.calls[0][0] == "Training failed"
    assert "Unexpected" not in boxes.calls[0][1]
    assert len(window.workspace.sessions) == n_before
    assert dlg.train_button.isEnabled()


@pytest.mark.slow
def test_event_loop_never_stalls_during_training_and_umap(window, qtbot):
    """A 10 ms timer measures the event loop while a model trains and UMAP fits."""
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    dlg = window.show_train_dialog()
    _fill(dlg, epochs=3)
    qtbot.wait(50)
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    last[0] = clock.elapsed()
    n_before = len(window.workspace.sessions)
    qtbot.mouseClick(dlg.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.workspace.sessions) == n_before + 1, timeout=180_000)
    e = window.session
    # Keep the GUI thread busy like a user would (decoding) while UMAP fits.
    t0 = time.monotonic()
    while e.jobs.running("map") and time.monotonic() - t0 < 600:
        window.session.request_decode(e.latent_map.positions[np.random.randint(e.n_points)])
        qtbot.wait(20)
    timer.stop()
    assert e.latent_map.method == "umap"
    print(f"event-loop ticks {len(gaps)}, max gap {max(gaps)} ms, "
          f"p99 {np.percentile(gaps, 99):.0f} ms")
    # A stall is the event loop blocked by work (a fit or a training step on the GUI
    # thread: seconds). The bound is generous so a busy machine (another process on the
    # other core descheduling us for a few time slices) never fails it; the timings are
    # printed above and measured properly by benchmarks/.
    assert max(gaps) <= 1500, f"the event loop stalled for {max(gaps)} ms"


@pytest.mark.parametrize("spec", ["digits?limit=400", "shapes:400"])
def test_every_kind_trains_from_the_dialog(window, qtbot, boxes, spec):
    """Each member of the family: one epoch from the dialog, then an explorable map."""
    dlg = window.show_train_dialog()
    kinds = [dlg.kind.itemData(i) for i in range(dlg.kind.count())]
    from latent_atlas.models.kinds import KINDS

    assert set(kinds) == set(KINDS)
    for kind in kinds:
        _fill(dlg, epochs=1, spec=spec)
        dlg.kind.setCurrentIndex(kinds.index(kind))
        if kind == "dae":
            dlg.noise.setCurrentIndex(1)  # masking noise
        req = dlg.request()
        assert req.kind == kind
        assert (req.extra.get("noise") == "masking") == (kind == "dae")
        assert ("sparsity_weight" in req.extra) == (kind == "sae")
        n_before = len(window.workspace.sessions)
        qtbot.mouseClick(dlg.train_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda n=n_before: len(window.workspace.sessions) == n + 1 or bool(boxes.calls),
                        timeout=120_000)
        assert boxes.calls == [], (kind, boxes.calls)
        e = window.session
        assert e.kind == kind and e.n_points == 400 and e.decoder is not None
        if kind == "beta-vae":
            assert e.meta["config"]["beta"] == 4.0
        if kind == "cvae":
            assert e.meta["config"]["n_classes"] >= 2
        _stop_map_jobs(window)
        qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)


def test_stacked_pretraining_from_the_dialog(window, qtbot, boxes):
    dlg = window.show_train_dialog()
    _fill(dlg, epochs=1, spec="digits?limit=300")
    dlg.arch.setCurrentIndex(dlg.arch.findData("mlp"))
    dlg.kind.setCurrentIndex(dlg.kind.findData("ae"))
    assert dlg.pretrain.isEnabled()
    dlg.pretrain.setValue(1)
    assert dlg.request().extra == {"pretrain_epochs": 1}
    n_before = len(window.workspace.sessions)
    qtbot.mouseClick(dlg.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.workspace.sessions) == n_before + 1 or bool(boxes.calls),
                    timeout=120_000)
    assert boxes.calls == []
    assert window.session.meta["config"]["pretrain_epochs"] == 1
    _stop_map_jobs(window)


def test_sampling_choices_from_the_dialog(window, qtbot, boxes):
    """Bed of nails and average pooling train from the dialog; max-unpooling moves the
    encoder onto max pooling (the only one it can use); an MLP offers neither."""
    dlg = window.show_train_dialog()
    _fill(dlg, epochs=1, spec="digits?limit=300")
    dlg.kind.setCurrentIndex(dlg.kind.findData("ae"))
    up, down = dlg.sampling.upsample, dlg.sampling.downsample
    up.setCurrentIndex(up.findData("max-unpool"))
    assert down.currentData() == "max" and not down.isEnabled()
    assert dlg.request().extra == {"upsample": "max-unpool", "downsample": "max"}
    up.setCurrentIndex(up.findData("bed-of-nails"))
    assert down.isEnabled()
    down.setCurrentIndex(down.findData("avg"))
    assert dlg.request().extra == {"upsample": "bed-of-nails", "downsample": "avg"}
    n_before = len(window.workspace.sessions)
    qtbot.mouseClick(dlg.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.workspace.sessions) == n_before + 1 or bool(boxes.calls),
                    timeout=120_000)
    assert boxes.calls == []
    cfg = window.session.meta["config"]
    assert (cfg["upsample"], cfg["downsample"]) == ("bed-of-nails", "avg")
    _stop_map_jobs(window)
    qtbot.waitUntil(lambda: not dlg.running, timeout=60_000)
    dlg.arch.setCurrentIndex(dlg.arch.findData("mlp"))
    assert not up.isEnabled() and not down.isEnabled()
    assert "upsample" not in dlg.request().extra
