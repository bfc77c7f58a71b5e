"""Models of your own in the windows (offscreen): a `--python` factory, a plain module handed
over in Python, an ONNX pair, a diffusers AutoencoderKL and a pythae model each open in the
main window with every application panel, and in the compare view with every panel (a
user's AE against a user's VAE, a pythae AE against a pythae VAE, two AutoencoderKLs); a
bad model is a dialog and the window keeps running."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from latent_atlas.explorer.qt.compare.window import CompareWindow
from latent_atlas.explorer.qt.main_window import MainWindow
from latent_atlas.explorer.qt.panels import show_panel
from latent_atlas.explorer.session.open_session import session_of_opened
from latent_atlas.explorer.session.opening import open_source
from latent_atlas.explorer.session.session import Session
from latent_atlas.explorer.session.user_code import PythonFactory, UserSource
from tests import user_models as um

USER = um.__file__
TIMEOUT = 120_000


def factory(name: str) -> UserSource:
    return UserSource(PythonFactory(f"{USER}:{name}"))


@pytest.fixture()
def window(qtbot):
    w = MainWindow(headless=True)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.shutdown()


def _ready(qtbot, session: Session) -> None:
    qtbot.waitUntil(lambda: session.is_ready() and session.reconstructions is not None,
                    timeout=TIMEOUT)


def _click_decodes(session: Session) -> np.ndarray:
    pos = session.latent_map.positions
    session.request_decode(pos[:2].mean(axis=0))
    session.flush_decode()
    QApplication.processEvents()
    assert session.cursor_image is not None
    return session.cursor_image


def _every_panel(qtbot, win) -> dict[str, str]:
    """Show each application panel in turn and wait for its work; its hint by key."""
    hints = {}
    for key, dock in win.panels.items():
        show_panel(win, dock)
        QApplication.processEvents()
        qtbot.waitUntil(lambda: not win.panels_busy(), timeout=TIMEOUT)
        QApplication.processEvents()
        panel = dock.widget()
        assert not panel.grab().isNull()
        hints[key] = panel.model.hint
    return hints


def _onnx_pair(tmp_path, factory_name: str):
    pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")
    pytest.importorskip("onnx", reason="the onnx extra is not installed")
    from latent_atlas.explorer.session.user_model import export_onnx

    made = getattr(um, factory_name)()
    model = made["model"] if isinstance(made, dict) else made
    folder = tmp_path / factory_name
    export_onnx(open_source(model, data="digits"), folder)
    return str(folder)


def _library_model(source: str, tmp_path):
    """A tiny diffusers AutoencoderKL on 16x16 RGB, or a pythae VAE on digits."""
    if source == "diffusers":
        pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
        from latent_atlas.models.sources.diffusers_vae import tiny_autoencoder_kl

        images = np.random.default_rng(0).integers(0, 256, (120, 3, 16, 16), dtype=np.uint8)
        np.savez(tmp_path / "rgb.npz", x=images, y=np.arange(120) % 3)
        return tiny_autoencoder_kl(), f"npz:{tmp_path / 'rgb.npz'}"
    pytest.importorskip("pythae", reason="the pythae extra is not installed")
    import torch
    from pythae.models import VAE, VAEConfig

    torch.manual_seed(0)
    return VAE(VAEConfig(input_dim=(1, 8, 8), latent_dim=3)), "digits"


@pytest.mark.parametrize("source", ["factory", "module", "onnx", "diffusers", "pythae"])
def test_a_model_of_your_own_opens_in_the_main_window_with_every_panel(
        qtbot, window, boxes, source, tmp_path):
    if source in ("diffusers", "pythae"):
        model, spec = _library_model(source, tmp_path)
        window.add_session(session_of_opened(open_source(model, data=spec),
                                               window.dispatcher))
    elif source == "factory":
        item = factory("make_vae")
        assert window.open_sources([item], None) == 1
    elif source == "module":
        # what the Python API hands over: an object opened on the session floor
        session = session_of_opened(open_source(um.make_vae()["model"], data="digits"),
                                      window.dispatcher)
        window.add_session(session)
    else:
        assert window.open_sources([_onnx_pair(tmp_path, "make_vae")], None) == 1
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT)
    s = window.session
    _ready(qtbot, s)
    prefix = {"factory": "user", "module": "user"}.get(source, source)
    assert s.kind == f"{prefix}-vae" and s.model.variational
    image = _click_decodes(s)
    assert image.shape == ((16, 16, 3) if source == "diffusers" else (8, 8))
    hints = _every_panel(qtbot, window)
    assert set(hints) >= {"traversal", "denoise", "inpaint", "anomaly", "retrieval"}
    assert not boxes.calls, boxes.calls
    # what cannot be done says so: saving a model Latent Atlas did not build
    with pytest.raises(ValueError, match="cannot be saved as a Latent Atlas model file"):
        s.save(tmp_path / "x.safetensors")


def test_a_bad_model_is_a_dialog_and_the_window_keeps_running(qtbot, window, boxes):
    window.open_sources([factory("make_nan")], "digits")
    qtbot.waitUntil(lambda: len(window.headless_errors) == 1, timeout=TIMEOUT)
    window.open_sources([factory("make_raises")], "digits")
    qtbot.waitUntil(lambda: len(window.headless_errors) == 2, timeout=TIMEOUT)
    window.open_sources([factory("make_cvae_too_few_classes")], "digits")
    qtbot.waitUntil(lambda: len(window.headless_errors) == 3, timeout=TIMEOUT)
    assert "NaN" in window.headless_errors[0]
    assert "the checkpoint is missing" in window.headless_errors[1]
    assert "declares 3 classes" in window.headless_errors[2]  # a conditioning that does not fit
    assert not window.workspace.sessions
    assert window.open_sources([factory("make_ae")], "digits") == 1  # still working
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT)
    _ready(qtbot, window.session)


def test_a_slow_decoder_opens_with_a_notice_in_the_status_line(qtbot, window, boxes,
                                                               monkeypatch):
    said: list[str] = []
    shown = window.show_message
    monkeypatch.setattr(window, "show_message", lambda text: (said.append(text), shown(text)))
    window.open_sources([factory("make_slow")], "digits?limit=60")
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT)
    assert any("decodes one image in" in t for t in said)  # the decoder sleeps 150 ms
    assert not boxes.calls


def test_the_dialog_says_the_code_runs_and_names_the_factories(qtbot):
    from latent_atlas.explorer.qt.python_model_dialog import WARNING, PythonModelDialog

    dialog = PythonModelDialog()
    qtbot.addWidget(dialog)
    assert "runs the code" in WARNING
    dialog.file_edit.setText(USER)
    dialog.factory_edit.setText("make_ae, make_vae")
    dialog.logits_check.setChecked(True)
    sources = dialog.sources()
    assert [s.label for s in sources] == [f"{USER}:make_ae", f"{USER}:make_vae"]
    assert all(s.output == "logits" for s in sources) and dialog.data() == "digits"
    dialog.file_edit.setText("")
    with pytest.raises(ValueError, match="Python file"):
        dialog.sources()


@pytest.mark.parametrize("source", ["factory", "onnx"])
def test_your_ae_against_your_vae_in_the_compare_view(qtbot, boxes, source, tmp_path):
    win = CompareWindow(headless=True)
    qtbot.addWidget(win)
    win.show()
    if source == "factory":
        items = [factory("make_vae"), factory("make_ae")]
    else:
        items = [_onnx_pair(tmp_path, "make_vae"), _onnx_pair(tmp_path, "make_ae")]
    try:
        assert win.open_sources(items, "digits") == 2
        qtbot.waitUntil(lambda: win.pair is not None, timeout=TIMEOUT)
        pair = win.pair
        prefix = "user" if source == "factory" else "onnx"
        assert (pair.left.kind, pair.right.kind) == (f"{prefix}-ae", f"{prefix}-vae")  # AE left
        qtbot.waitUntil(win.is_ready, timeout=TIMEOUT)
        _click_decodes(pair.left)
        assert pair.right.cursor_image is not None  # the link decoded the same point
        win.sample(8)
        assert all(smp is not None for smp in pair.samples)
        hints = _every_panel(qtbot, win)
        assert "traversal" in hints
        assert not boxes.calls, boxes.calls
    finally:
        win.shutdown()


def _library_folders(source: str, tmp_path) -> tuple[list[str], str, tuple[str, str]]:
    """Two saved model folders of a library, their data spec and the kinds (left, right):
    a pythae AE and VAE on digits, or two tiny AutoencoderKLs (seeds 0 and 1) on 16x16 RGB."""
    if source == "diffusers":
        pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
        from latent_atlas.models.sources.diffusers_vae import tiny_autoencoder_kl

        _, spec = _library_model(source, tmp_path)
        folders = []
        for seed in (0, 1):
            tiny_autoencoder_kl(seed).save_pretrained(tmp_path / f"kl{seed}")
            folders.append(str(tmp_path / f"kl{seed}"))
        return folders, spec, ("diffusers-vae", "diffusers-vae")
    pytest.importorskip("pythae", reason="the pythae extra is not installed")
    import torch
    from pythae.models import AE, VAE, AEConfig, VAEConfig

    torch.manual_seed(0)
    ae = AE(AEConfig(input_dim=(1, 8, 8), latent_dim=3))
    vae = VAE(VAEConfig(input_dim=(1, 8, 8), latent_dim=3))
    ae.save(str(tmp_path / "pythae_ae"))
    vae.save(str(tmp_path / "pythae_vae"))
    return ([str(tmp_path / "pythae_vae"), str(tmp_path / "pythae_ae")], "digits",
            ("pythae-ae", "pythae-vae"))


@pytest.mark.parametrize("source", ["diffusers", "pythae"])
def test_library_models_in_the_compare_view_with_every_panel(qtbot, boxes, source, tmp_path):
    folders, spec, kinds = _library_folders(source, tmp_path)
    win = CompareWindow(headless=True)
    qtbot.addWidget(win)
    win.show()
    try:
        assert win.open_sources(folders, spec) == 2
        qtbot.waitUntil(lambda: win.pair is not None, timeout=TIMEOUT)
        pair = win.pair
        assert (pair.left.kind, pair.right.kind) == kinds  # an AE goes left
        qtbot.waitUntil(win.is_ready, timeout=TIMEOUT)
        left = _click_decodes(pair.left)
        assert left.shape == ((16, 16, 3) if source == "diffusers" else (8, 8))
        assert pair.right.cursor_image is not None  # the link decoded the same point
        if source == "diffusers":  # two different networks: two different images
            assert not np.array_equal(left, pair.right.cursor_image)
        win.sample(8)
        assert all(smp is not None for smp in pair.samples)
        hints = _every_panel(qtbot, win)
        assert set(hints) >= {"traversal", "denoise", "inpaint", "anomaly", "retrieval"}
        assert not boxes.calls, boxes.calls
    finally:
        win.shutdown()


def test_a_conditional_model_of_your_own_offers_its_labels_in_the_traversal(qtbot, window,
                                                                            boxes):
    assert window.open_sources([factory("make_cvae")], None) == 1
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT)
    s = window.session
    _ready(qtbot, s)
    assert s.kind == "user-cvae" and s.model.n_cond == 10
    _click_decodes(s)
    dock = window.panels["traversal"]
    show_panel(window, dock)
    panel = dock.widget()
    qtbot.waitUntil(lambda: not window.panels_busy(), timeout=TIMEOUT)
    assert not panel.label.isHidden() and panel.label.count() == 1 + 10
    grids = {}
    for label in (2, 7):
        panel.label.setCurrentIndex(panel.label.findData(label))
        assert panel.model.label == label
        qtbot.waitUntil(lambda lab=label: not window.panels_busy() and panel.model.result
                        .columns and panel.model.result.columns[0].traversal is not None
                        and panel.model.result.columns[0].traversal.label == lab,
                        timeout=TIMEOUT)
        grids[label] = panel.model.result.columns[0].traversal.images.copy()
        assert f"decoded as label {label}" in panel.header.text()
    assert not np.array_equal(grids[2], grids[7])
    assert not boxes.calls, boxes.calls
