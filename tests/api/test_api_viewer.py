"""`latent_atlas.show` and `compare` open the program's windows from Python (offscreen here)."""

from __future__ import annotations

import pytest

import latent_atlas as la
from latent_atlas.explorer.qt import viewer as viewer_module


@pytest.fixture
def windows(qapp):
    opened = []
    yield opened
    for v in opened:
        v.close()
    collector = viewer_module._STATE.pop("collector", None)
    if collector is not None:
        collector.stop()
    viewer_module._STATE.pop("windows", None)


def test_show_opens_an_opened_session_with_its_data(windows, tmp_path):
    s = la.open(la.bundled_models()[0], data="digits")
    v = la.show(s)
    windows.append(v)
    assert v.kind == "main" and v.wait_ready(240)
    assert [x.name for x in v.sessions] == [s.name] == ["digits_ae"]
    assert v.session.data_spec == "digits"
    v.selection = [11, 3, 11]
    assert v.selection == [3, 11] and list(v.session.selection) == [3, 11]
    v.selection = []
    assert v.selection == []
    with pytest.raises(ValueError, match="not on the map"):
        v.selection = [10**6]
    assert v.screenshot(tmp_path / "main.png").stat().st_size > 10_000


def test_compare_opens_two_models_side_by_side(windows, tmp_path):
    with pytest.raises(ValueError, match="two models"):
        la.compare(la.bundled_models()[0])
    v = la.compare(*la.bundled_models())
    windows.append(v)
    assert v.kind == "compare" and v.wait_ready(300)
    assert sorted(s.kind for s in v.sessions) == ["ae", "vae"]
    v.selection = [4, 9]  # mirrored onto the other map by sample index
    assert [list(s.selection) for s in v.sessions] == [[4, 9], [4, 9]]
    assert v.screenshot(tmp_path / "compare.png").stat().st_size > 10_000


def test_show_takes_a_model_of_your_own(windows):
    import numpy as np
    import torch

    from tests.user_models import PlainAE  # subclasses nothing of Latent Atlas

    torch.manual_seed(0)
    s = la.open(PlainAE(3), data=np.random.default_rng(0).random((40, 8, 8)).astype(np.float32))
    v = la.show(s)
    windows.append(v)
    assert v.wait_ready(240) and [x.name for x in v.sessions] == [s.name]
    v.selection = [1, 2]
    assert v.selection == [1, 2]


def test_compare_takes_two_models_of_your_own_with_every_panel(windows, qtbot, tmp_path):
    from latent_atlas.explorer.qt.panels import show_panel
    from tests.user_models import make_ae, make_vae

    ae = la.open(make_ae(), data="digits")  # plain nn.Modules, opened in Python
    vae = la.open(make_vae()["model"], data="digits")
    v = la.compare(vae, ae)
    windows.append(v)
    assert v.kind == "compare" and v.wait_ready(300)
    assert [s.kind for s in v.sessions] == ["user-ae", "user-vae"]  # the AE goes left
    v.selection = [4, 9]
    assert [list(s.selection) for s in v.sessions] == [[4, 9], [4, 9]]
    win = v.window
    for dock in win.panels.values():
        show_panel(win, dock)
        qtbot.waitUntil(lambda: not win.panels_busy(), timeout=120_000)
        assert not dock.widget().grab().isNull()
    assert v.screenshot(tmp_path / "own.png").stat().st_size > 5_000


def test_run_returns_at_once_when_no_window_is_open(windows):
    assert la.run() == 0
