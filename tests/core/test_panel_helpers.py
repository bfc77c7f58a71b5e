"""The arithmetic behind the GUI application panels (mask editing, overlays, captions)."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.analysis.applications.denoise import error_caption
from latent_atlas.explorer.core.analysis.applications.masks import (
    HOLE_COLOUR,
    mask_overlay,
    paint_stroke,
    rectangle_between,
)
from latent_atlas.explorer.core.analysis.applications.traversal import even_subset
from latent_atlas.explorer.core.inference import one_torch_thread
from latent_atlas.explorer.core.io.images import sample_display


def test_rectangle_between_includes_both_corner_pixels_in_any_order():
    m = rectangle_between((1, 8, 10), (7.9, 5.2), (2.1, 1.7))
    rows, cols = np.nonzero(m)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (1, 5, 2, 7)
    assert m.sum() == 5 * 6


def test_rectangle_between_clips_and_misses():
    m = rectangle_between((8, 8), (-3, -3), (1.5, 20))
    assert m[:, :2].all() and not m[:, 2:].any()
    assert not rectangle_between((8, 8), (9, 9), (12, 15)).any()
    with pytest.raises(ValueError):
        rectangle_between((8, 8), (np.nan, 0), (1, 1))


def test_paint_stroke_dab_and_segment():
    empty = np.zeros((9, 9), dtype=bool)
    dab = paint_stroke(empty, (4.5, 4.5), radius=1.0)
    assert not empty.any()  # a copy, the input is untouched
    assert dab.sum() == 5  # centre and its 4 neighbours lie within 1 px of (4.5, 4.5)
    assert dab[4, 4] and dab[3, 4] and dab[4, 3] and not dab[3, 3]
    tiny = paint_stroke(empty, (2.2, 6.7), radius=0.0)
    assert tiny.sum() == 1 and tiny[6, 2]
    line = paint_stroke(empty, (0.5, 2.5), (8.5, 2.5), radius=0.4)
    assert line[2].all() and line.sum() == 9
    erased = paint_stroke(line, (4.5, 2.5), radius=0.4, value=False)
    assert not erased[2, 4] and erased.sum() == 8


def test_mask_overlay_tints_only_the_hole():
    img = np.full((4, 5), 100, np.uint8)
    mask = np.zeros((4, 5), bool)
    mask[1, 2] = True
    out = mask_overlay(img, mask, alpha=1.0)
    assert out.shape == (4, 5, 3) and out.dtype == np.uint8
    assert tuple(out[1, 2]) == HOLE_COLOUR
    assert (out[~mask] == 100).all()
    with pytest.raises(ValueError):
        mask_overlay(img, np.zeros((3, 3), bool))


def test_sample_display_and_even_subset():
    images = np.arange(2 * 1 * 2 * 3, dtype=np.uint8).reshape(2, 1, 2, 3)
    out = sample_display(images, [1])
    assert out.shape == (1, 2, 3) and np.array_equal(out[0], images[1, 0])
    assert np.array_equal(even_subset(5, 10), np.arange(5))
    sub = even_subset(1000, 7)
    assert len(sub) == 7 and sub[0] == 0 and sub[-1] == 999 and np.all(np.diff(sub) > 0)


def test_error_caption():
    assert error_caption(0.01) == "MSE 0.0100 · PSNR 20.0 dB"
    assert error_caption(0.0) == "MSE 0.0000 · PSNR ∞ dB"
    assert error_caption(0.5, 3.0103) == "MSE 0.5000 · PSNR 3.0 dB"


def test_one_thread_limits_and_restores_the_intra_op_threads():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with one_torch_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError), one_torch_thread():
            raise RuntimeError("the setting is restored on errors too")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
