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
    v.selection = [11]
    assert v.selection == [11] and v.session.selected_index == 11
    v.selection = []
    assert v.selection == []
    with pytest.raises(Exception, match="not in the data"):
        v.selection = [10**6]
    assert v.screenshot(tmp_path / "main.png").stat().st_size > 10_000


def test_compare_opens_two_models_side_by_side(windows, tmp_path):
    with pytest.raises(ValueError, match="two models"):
        la.compare(la.bundled_models()[0])
    v = la.compare(*la.bundled_models())
    windows.append(v)
    assert v.kind == "compare" and v.wait_ready(300)
    assert sorted(s.kind for s in v.sessions) == ["ae", "vae"]
    assert v.screenshot(tmp_path / "compare.png").stat().st_size > 10_000


def test_run_returns_at_once_when_no_window_is_open(windows):
    assert la.run() == 0
