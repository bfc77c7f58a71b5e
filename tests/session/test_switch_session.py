"""A session over a max-unpooling model: a click decodes with the switches of the nearest
sample and the session says which (the image panel shows `cursor_note`); before its data is
loaded there are no switches, so it shows no image and says why."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.session.dispatch import ManualDispatcher
from latent_atlas.explorer.session.session import Session
from tests.fixture_scope import shared


@pytest.fixture(scope=shared)
def unpool_path(tmp_path_factory, digits):
    from latent_atlas.explorer.core.inference import encode
    from latent_atlas.explorer.core.io.saving import save_explorable
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model
    from latent_atlas.models.trainer import run_training

    cfg = ModelConfig(kind="ae", arch="conv", input_shape=(1, 8, 8), latent_dim=3,
                      hidden=(4, 6), epochs=1, seed=4, upsample="max-unpool", downsample="max")
    model = run_training(build_model(cfg), digits.images, device="cpu").model
    path = tmp_path_factory.mktemp("unpool") / "mu.safetensors"
    save_explorable(path, model, latent_map=quick_map(encode(model, digits.images)),
                    data_spec="digits", label_names=list(digits.label_names),
                    labels=digits.labels)
    return path


def _nearest(codes: np.ndarray, z: np.ndarray) -> int:
    return int(np.argmin(((np.asarray(codes) - z) ** 2).sum(axis=1)))


def test_a_click_says_whose_switches_decoded_it(unpool_path):
    d = ManualDispatcher()
    s = Session.from_file(unpool_path, d)
    s.start_loading()
    assert d.wait_until(lambda: s.decoder is not None and s.images is not None, 120)
    assert s.needs_switches
    m = s.latent_map
    x0, x1, y0, y1 = m.bounds()
    for xy in ((x0 + 0.25 * (x1 - x0), y0 + 0.7 * (y1 - y0)), tuple(m.positions[17])):
        s.request_decode(xy)
        s.flush_decode()
        expected = _nearest(m.codes, s.cursor_z)
        assert s.cursor_switch_source == expected
        assert s.cursor_image is not None and s.cursor_image.shape == (8, 8)
        assert f"switches of sample #{expected} " in s.cursor_note
        assert "cannot generate" in s.cursor_note
    assert s.cursor_switch_source == 17  # a data point borrows its own switches
    # An arrow's strip decodes too (every code with its nearest sample's switches).
    arrow = s.add_arrow(m.positions[0], m.positions[5], tolerance=1e-6)
    assert arrow is not None and arrow.frames is not None and len(arrow.frames) == s.steps
    s.close()


def test_without_its_data_a_max_unpool_session_shows_no_image_and_says_why(unpool_path):
    from latent_atlas.explorer.session.loading import build_runtime

    s = Session.from_file(unpool_path)
    model, decoder = build_runtime(s.model_file)
    s.set_model(model, decoder)  # the model, but no data: nothing to borrow switches from
    assert s.needs_switches and not decoder.decodes_codes
    s.request_decode(s.latent_map.positions[3])
    s.flush_decode()
    assert s.cursor_image is None and s.cursor_switch_source is None
    assert "data is not loaded" in s.cursor_note


def test_an_ordinary_model_has_no_note(tmp_path, digits):
    from latent_atlas.explorer.core.inference import Decoder, encode
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    model = build_model(ModelConfig(kind="ae", arch="conv", input_shape=(1, 8, 8), latent_dim=2,
                                    hidden=(4,), upsample="bed-of-nails", downsample="avg"))
    s = Session("x", {"config": model.config.to_dict()},
                latent_map=quick_map(encode(model, digits.images[:50])))
    s.set_model(model, Decoder(model))
    s.request_decode((0.0, 0.0))
    s.flush_decode()
    assert s.cursor_image is not None and s.cursor_note == "" and s.cursor_switch_source is None
