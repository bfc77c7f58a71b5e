"""Inpainting: masks, projection onto known pixels, convergence, and beating mean fill."""

from __future__ import annotations

import numpy as np
import pytest
from applications_fixtures import digits_split, trained, untrained

from latent_atlas.explorer.core.analysis.applications import (
    ApplicationError,
    inpaint,
    masked_mse,
    mean_fill,
    rectangle_mask,
)
from latent_atlas.explorer.core.analysis.applications.inpaint import check_mask


def test_rectangle_mask_and_clipping():
    m = rectangle_mask((8, 8), 2, 3, 4, 2)
    assert m.shape == (8, 8) and m.sum() == 8 and m[2:6, 3:5].all()
    clipped = rectangle_mask((1, 8, 8), 6, -2, 5, 4)  # reaches past two borders
    assert clipped.sum() == 2 * 2 and clipped[6:, :2].all()
    for args, words in [((8, 8, 2, 2), "outside"), ((0, 0, 0, 2), "at least 1x1"),
                        ((0.5, 0, 2, 2), "whole numbers")]:
        with pytest.raises(ApplicationError, match=words):
            rectangle_mask((8, 8), *args)


def test_masks_broadcast_and_must_leave_something_to_fill_and_to_keep():
    m = np.zeros((8, 8), bool)
    m[0, 0] = True
    assert check_mask(m, (3, 2, 8, 8)).shape == (3, 2, 8, 8)
    assert check_mask(np.stack([m] * 3), (3, 1, 8, 8)).shape == (3, 1, 8, 8)
    assert check_mask(m.astype(np.uint8), (1, 1, 8, 8)).all(axis=(0, 1)).sum() == 1
    with pytest.raises(ApplicationError, match="empty"):
        check_mask(np.zeros((8, 8), bool), (1, 1, 8, 8))
    with pytest.raises(ApplicationError, match="whole image"):
        check_mask(np.ones((8, 8), bool), (1, 1, 8, 8))
    with pytest.raises(ApplicationError, match="expected 8x8"):
        check_mask(np.ones((7, 8), bool), (1, 1, 8, 8))
    with pytest.raises(ApplicationError, match="boolean"):
        check_mask(np.full((8, 8), 0.5), (1, 1, 8, 8))


def test_mean_fill_baselines():
    img = np.zeros((1, 1, 4, 4), np.uint8)
    img[0, 0, :, 2:] = 255
    mask = rectangle_mask((4, 4), 0, 0, 2, 2)
    filled = mean_fill(img, mask)
    # Known pixels: 4 zeros and 8 whites -> 2/3.
    np.testing.assert_allclose(filled[0, 0, :2, :2], 2 / 3, rtol=1e-6)
    np.testing.assert_allclose(filled[0, 0, 2:], img[0, 0, 2:] / 255)
    ref = np.stack([np.full((1, 4, 4), 51, np.uint8), np.full((1, 4, 4), 153, np.uint8)])
    np.testing.assert_allclose(mean_fill(img, mask, ref)[0, 0, :2, :2], 0.4, rtol=1e-6)


def test_known_pixels_stay_fixed_and_the_hole_converges():
    model = trained("ae")
    _, test = digits_split()
    images = test.images[:30]
    mask = rectangle_mask((8, 8), 2, 2, 4, 4)
    r = inpaint(model, images, mask, steps=15)
    known = ~r.mask
    np.testing.assert_array_equal(r.filled[known], images[known])
    np.testing.assert_allclose(r.filled_float[known], images[known] / 255, atol=1e-6)
    assert r.iterations == 15 and r.changes.shape == (15,)
    assert r.changes[-1] < 0.05 * r.changes[0]
    assert r.masked_input()[r.mask].tolist() == [128] * int(r.mask.sum())
    early = inpaint(model, images, mask, steps=50, tol=1e-3)
    assert early.iterations < 50 and early.changes[-1] < 1e-3


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_inpainting_beats_mean_fill_on_held_out_digits(kind):
    model = trained(kind)
    train, test = digits_split()
    mask = rectangle_mask((8, 8), 2, 2, 4, 4)
    r = inpaint(model, test.images, mask, steps=10)
    model_err = masked_mse(r.filled_float, test.images, mask).mean()
    own_mean = masked_mse(mean_fill(test.images, mask), test.images, mask).mean()
    data_mean = masked_mse(mean_fill(test.images, mask, train.images), test.images, mask).mean()
    assert model_err < 0.85 * data_mean < 0.85 * own_mean


def test_arbitrary_masks_and_conditional_labels():
    model = trained("cvae")
    _, test = digits_split()
    rng = np.random.default_rng(0)
    masks = rng.random((5, 8, 8)) < 0.3  # one brushed mask per image
    r = inpaint(model, test.images[:5], masks, steps=3, labels=test.labels[:5])
    assert r.filled.shape == (5, 1, 8, 8)
    np.testing.assert_array_equal(r.filled[:, 0][~masks], test.images[:5, 0][~masks])
    one = inpaint(untrained("ae"), test.images[0], masks[0], steps=2, init="zero")
    assert one.filled.shape == (1, 1, 8, 8) and one.iterations == 2


@pytest.mark.parametrize("kwargs, words", [
    ({"steps": 0}, "steps"),
    ({"init": "noise"}, "init"),
    ({"tol": -1.0}, "tol"),
])
def test_bad_inpaint_input_is_a_readable_error(kwargs, words):
    images = np.zeros((2, 1, 8, 8), np.uint8)
    with pytest.raises(ApplicationError, match=words):
        inpaint(untrained("ae"), images, rectangle_mask((8, 8), 0, 0, 2, 2), **kwargs)
