"""The image panel says when a max-unpooling model decoded a click with a data sample's
switches (the session's `cursor_note`), and why it shows nothing before the data loads."""

from __future__ import annotations

import os

import numpy as np


def _session(digits, with_data: bool):
    from latent_atlas.explorer.core.inference import Decoder, encode
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.explorer.session.loading import DataExtras
    from latent_atlas.explorer.session.session import Session
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    model = build_model(ModelConfig(kind="ae", arch="conv", input_shape=(1, 8, 8), latent_dim=3,
                                    hidden=(4, 6), upsample="max-unpool", downsample="max"))
    images = digits.images[:300]
    codes = encode(model, images)
    s = Session("mu", {"config": model.config.to_dict(), "data_spec": "digits"},
                latent_map=quick_map(codes))
    s.set_model(model, Decoder(model))
    if with_data:
        s.set_data(DataExtras(data=digits, images=images, labels=digits.labels[:300],
                              label_names=list(digits.label_names)))
    return s


def test_the_decoded_caption_names_the_sample_whose_switches_were_used(qtbot, digits, tmp_path):
    from latent_atlas.explorer.qt.image_panel import ImagePanel

    s = _session(digits, with_data=True)
    panel = ImagePanel()
    qtbot.addWidget(panel)
    panel.set_session(s)
    s.request_decode(s.latent_map.positions[42] + np.float32(0.01))
    s.flush_decode()
    i = s.cursor_switch_source
    assert i is not None
    text = panel.decoded.caption.text()
    assert "map point" in text and f"switches of sample #{i} " in text
    assert panel.decoded.image is not None
    panel.resize(320, 520)
    if os.environ.get("LATENT_ATLAS_SHOTS"):  # for a look at the rendering
        panel.grab().save(str(tmp_path / "unpool_caption.png"))
    panel.set_session(None)


def test_without_data_the_caption_says_why_there_is_no_image(qtbot, digits):
    from latent_atlas.explorer.qt.image_panel import ImagePanel

    s = _session(digits, with_data=False)
    panel = ImagePanel()
    qtbot.addWidget(panel)
    panel.set_session(s)
    s.request_decode(s.latent_map.positions[0])
    s.flush_decode()
    assert panel.decoded.image is None
    assert "data is not loaded" in panel.decoded.caption.text()
    panel.set_session(None)
