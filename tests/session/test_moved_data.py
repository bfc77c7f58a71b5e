"""A model whose data has moved: the session says so instead of waiting, names the spec
for the window to ask about, and loads the data from where the user points (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.session.dispatch import ManualDispatcher
from latent_atlas.explorer.session.opening import relocated_spec, spec_names_a_file
from latent_atlas.explorer.session.session import Session


@pytest.fixture
def moved_model(tmp_path):
    """A model file with a stored map whose npz data has been moved: (path, old, new)."""
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (30, 1, 8, 8), dtype=np.uint8)
    old = tmp_path / "data.npz"
    np.savez(old, images=images, labels=np.arange(30) % 3)
    model = build_model(ModelConfig(kind="ae", arch="mlp", input_shape=(1, 8, 8),
                                    latent_dim=2, hidden=(8,)))
    path = tmp_path / "m.safetensors"
    save_explorable(path, model, latent_map=quick_map(encode(model, images)),
                    data_spec=f"npz:{old}?limit=30")
    new = tmp_path / "moved" / "data.npz"
    new.parent.mkdir()
    old.rename(new)
    return path, old, new


def test_moved_data_is_announced_and_reloaded_from_where_the_user_points(moved_model):
    path, old, new = moved_model
    d = ManualDispatcher()
    s = Session.from_file(path, d)
    missing: list[str] = []
    s.data_missing.connect(missing.append)
    s.start_loading()
    assert d.wait_until(lambda: bool(missing) and s.decoder is not None, 60)
    assert missing == [f"npz:{old}?limit=30"]
    assert "not there any more" in s.data_status() and "--data" in s.data_status()
    assert s.images is None and not s.dirty
    # the map still decodes without the data
    s.request_decode(s.latent_map.positions[0])
    s.flush_decode()
    assert s.cursor_image is not None

    spec = relocated_spec(missing[0], new)
    assert spec == f"npz:{new}?limit=30"
    s.reload_data(spec)
    assert d.wait_until(lambda: s.images is not None and not s.jobs.running("data"), 60)
    assert s.data_status() == "" and len(s.images) == 30
    assert s.data_spec == spec and s.dirty  # saved with the model next time


def test_data_status_while_loading_and_for_data_of_another_size(moved_model, tmp_path):
    path, _old, new = moved_model
    d = ManualDispatcher()
    s = Session.from_file(path, d)
    assert s.data_status() == "no data for this map"
    other = tmp_path / "other.npz"
    np.savez(other, images=np.zeros((7, 1, 8, 8), np.uint8))
    s.start_loading()
    assert d.wait_until(lambda: s.decoder is not None and not s.jobs.running("runtime"), 60)
    s.reload_data(f"npz:{other}")
    assert s.data_status() == "data loading…"
    assert d.wait_until(lambda: not s.jobs.running("data"), 60)
    assert "has 7 images but the map has 30" in s.data_status()
    assert s.data_spec != f"npz:{other}"  # data that does not fit the map is not adopted


def test_relocated_spec_keeps_options_and_knows_files_from_folders():
    assert relocated_spec("folder:/a/b?size=16&channels=1", "/c") == \
        "folder:/c?channels=1&size=16"
    assert spec_names_a_file("npz:/x.npz") and not spec_names_a_file("folder:/x")
    with pytest.raises(ValueError, match="names no folder or file"):
        relocated_spec("digits", "/c")
