"""The interpolation strip: its first frame decodes the arrow's start, its last the end, and
the Slerp choice really interpolates spherically.

The strip is built by the model's session (`latent_atlas.explorer.session.Session`, the same in both
windows); only `strip_frames` below knows how to reach it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latent_atlas.explorer.core.inference import Decoder
from latent_atlas.explorer.core.latent.interpolation import lerp, slerp
from latent_atlas.explorer.core.latent.map import LatentMap
from latent_atlas.models.config import ModelConfig
from latent_atlas.models.networks import build_model
from tests.fixture_scope import shared


def strip_frames(decoder: Decoder, z0, z1, steps: int, mode: str) -> np.ndarray:
    """The strip the app shows for an arrow from code z0 to code z1 (2-D codes on an
    identity map, so the arrow's map ends are its codes)."""
    from latent_atlas.explorer.session.session import Session

    grid = np.stack(np.meshgrid(np.linspace(-4, 4, 5), np.linspace(-4, 4, 5)), -1).reshape(-1, 2)
    latent_map = LatentMap("identity", grid.astype(np.float32), grid.astype(np.float32))
    session = Session("m", {}, latent_map=latent_map)
    session.set_model(decoder.model, decoder)
    session.set_steps(steps)
    session.set_mode(mode)
    arrow = session.add_arrow(np.asarray(z0, np.float32), np.asarray(z1, np.float32))
    assert arrow is not None and session.selected() is arrow
    return np.asarray(arrow.frames)


@pytest.fixture(scope=shared)
def decoder() -> Decoder:
    """A small decoder with large weights, so codes a little apart decode visibly apart."""
    cfg = ModelConfig(kind="ae", arch="mlp", input_shape=(1, 6, 6), latent_dim=2, hidden=(12,),
                      seed=4)
    model = build_model(cfg)
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.mul_(4.0)
    return Decoder(model)


Z0 = np.array([2.5, 0.5], np.float32)
Z1 = np.array([-1.0, 3.0], np.float32)  # not collinear with Z0 through the origin


def _differ(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def test_strip_runs_from_the_start_to_the_end(decoder):
    frames = strip_frames(decoder, Z0, Z1, 7, "lerp")
    start, end = decoder.decode(Z0), decoder.decode(Z1)
    assert frames.shape == (7, 6, 6) and frames.dtype == np.uint8
    assert _differ(start, end) > 20  # the ends look different, so order is visible
    assert _differ(frames[0], start) <= 1
    assert _differ(frames[-1], end) <= 1
    assert _differ(frames[0], end) > 20
    # every frame is the decoded lerp step, in order
    expected = decoder.decode(lerp(Z0, Z1, 7))
    assert _differ(frames, expected) <= 1


def test_strip_steps_follow_the_setting(decoder):
    for steps in (2, 5, 11):
        frames = strip_frames(decoder, Z0, Z1, steps, "lerp")
        assert len(frames) == steps
        assert _differ(frames[0], decoder.decode(Z0)) <= 1
        assert _differ(frames[-1], decoder.decode(Z1)) <= 1


def test_slerp_strip_follows_the_great_circle(decoder):
    steps = 7
    s_path, l_path = slerp(Z0, Z1, steps), lerp(Z0, Z1, steps)
    # the two paths really part in the middle for these ends
    assert np.linalg.norm(s_path[steps // 2] - l_path[steps // 2]) > 0.5
    s_frames = strip_frames(decoder, Z0, Z1, steps, "slerp")
    l_frames = strip_frames(decoder, Z0, Z1, steps, "lerp")
    assert _differ(s_frames, decoder.decode(s_path)) <= 1
    assert _differ(s_frames[steps // 2], l_frames[steps // 2]) > 5
    # same ends either way
    assert _differ(s_frames[0], l_frames[0]) <= 1 and _differ(s_frames[-1], l_frames[-1]) <= 1


def test_collinear_ends_give_the_same_strip_either_way(decoder):
    z0, z1 = np.array([1.0, 0.5], np.float32), np.array([3.0, 1.5], np.float32)  # same direction
    s_frames = strip_frames(decoder, z0, z1, 5, "slerp")
    l_frames = strip_frames(decoder, z0, z1, 5, "lerp")
    assert _differ(s_frames, l_frames) <= 1
