"""Saved views (JSON) and the command-line twin of what is on the map."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latent_atlas.explorer.session.view import home_range, union_bounds
from latent_atlas.explorer.session.viewfile import (
    ViewFileError,
    capture,
    command_for,
    read_view,
    restore,
    save_view,
)


def test_a_view_round_trips_and_restores_on_a_fresh_session(desk, tmp_path):
    s = desk.by_kind["ae"]
    s.set_colour_key("latent_norm")
    s.selection = [4, 8, 15]
    x0, x1, y0, y1 = s.latent_map.bounds()
    s.add_arrow((x0, y0), (x1, y1))
    state = capture([s], view=(x0, x1, y0, y1))
    save_view(tmp_path / "v.json", state)
    back = read_view(tmp_path / "v.json")
    assert back.models == [str(s.path.resolve())] and back.view == [x0, x1, y0, y1]
    other = desk.by_kind["vae"]  # same data, so the indices mean the same samples
    assert restore(other, back) == []
    assert other.selection.tolist() == [4, 8, 15] and other.colour_key == "latent_norm"
    assert len(other.arrows) == 1


@pytest.mark.parametrize("text, says", [
    ("{not json", "not a readable view"),
    ('{"format": "something else"}', "not a Latent Atlas view"),
    ('{"format": "latent-atlas-view", "version": 99, "models": ["a"]}', "version 99"),
    ('{"format": "latent-atlas-view", "version": 1, "models": []}', "names no model"),
    ('{"format": "latent-atlas-view", "version": 1, "models": ["a"], "selection": [-1]}',
     "selection"),
    ('{"format": "latent-atlas-view", "version": 1, "models": ["a"], "bogus": 1}', "bogus"),
])
def test_a_bad_view_file_is_one_readable_error(tmp_path, text, says):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(ViewFileError, match=says):
        read_view(p)


def test_a_selection_the_map_cannot_hold_is_reported_not_raised(desk, tmp_path):
    s = desk.by_kind["ae"]
    state = capture([s])
    state.selection = [s.n_points + 5]
    assert "selection was not restored" in restore(s, state)[0]


def test_copy_as_command_names_the_decode_the_arrow_or_the_selection(desk):
    s = desk.by_kind["vae"]
    s.set_selection([1, 2])
    assert command_for(s).startswith("python -c ") and "s.selection = [1, 2]" in command_for(s)
    s.request_decode(s.latent_map.positions[5])
    s.flush_decode()
    assert command_for(s).startswith("latent-atlas decode ") and "--xy" in command_for(s)
    s.add_arrow(s.latent_map.positions[0], s.latent_map.positions[9], tolerance=1e-3)
    cmd = command_for(s)
    assert "interpolate" in cmd and "--from 0 --to 9" in cmd


def test_home_range_keeps_the_legend_off_the_data():
    x0, x1, y0, y1 = home_range((0, 10, 0, 10), (800, 600), (100, 200))
    # The legend's 100 px band at the left holds no data: data x=0 is right of it.
    px_per_unit = 800 / (x1 - x0)
    assert (0 - x0) * px_per_unit >= 100
    assert x1 > 10 and y0 < 0 and y1 > 10
    assert union_bounds([(0, 1, 0, 1), None, (-1, 0.5, 0, 3)]) == (-1, 1, 0, 3)
    assert json.dumps(home_range((1, 1, 2, 2), (10, 10)))  # a single point still frames
    assert np.isfinite(home_range((1, 1, 2, 2), (10, 10))).all()
