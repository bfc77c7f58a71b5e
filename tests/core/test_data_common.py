"""Spec grammar, common options, canonical specs and the pixel helpers, using digits."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.core.data import DataError, load_data, source_names
from latent_atlas.explorer.core.data.transform import fit_box, fit_images, to_channels


def test_every_source_is_registered():
    assert {"digits", "shapes", "mnist", "fashion-mnist", "kmnist", "idx", "folder", "npz",
            "npy"} <= set(source_names())


def test_digits_default(digits):
    assert digits.images.shape == (1797, 1, 8, 8)
    assert digits.images.dtype == np.uint8 and digits.images.max() == 255
    assert digits.spec == "digits"
    assert digits.label_names == [str(i) for i in range(10)]


def test_digits_options_and_canonical_spec_reproduces(digits):
    s = load_data("digits?limit=50&seed=3&size=16&channels=rgb")
    assert s.images.shape == (50, 3, 16, 16)
    assert s.spec == "digits?channels=3&limit=50&seed=3&size=16"
    again = load_data(s.spec)
    assert np.array_equal(again.images, s.images) and np.array_equal(again.labels, s.labels)
    # seed shuffles before the limit: a different subset than the first 50
    assert not np.array_equal(s.labels, digits.labels[:50])


def test_overrides_win_and_defaults_drop_out_of_the_spec():
    s = load_data("digits?limit=5", limit=7, size=8, channels="1", seed=None)
    assert len(s) == 7
    assert s.spec == "digits?limit=7"


def test_max_is_an_alias_of_limit():
    assert load_data("digits?max=4").spec == "digits?limit=4"


def test_limit_above_count_is_a_no_op():
    assert load_data("digits?limit=5000").spec == "digits"


@pytest.mark.parametrize("spec, words", [
    ("digits?colour=red", "does not take the option 'colour'"),
    ("digits?limit=0", "limit must be at least 1"),
    ("digits?limit=ten", "whole number"),
    ("digits?channels=2", "channels must be 1 (gray) or 3 (RGB)"),
    ("digits?size=2", "size must be at least 4"),
    ("digits?size=100000", "at most"),
    ("digits:somewhere", "takes no path"),
    ("nosuch", "unknown data source 'nosuch'"),
    ("", "no data source"),
    ("mnist:/tmp?split=validation", "split must be train, test or all"),
])
def test_bad_specs_give_one_line(spec, words):
    with pytest.raises(DataError) as info:
        load_data(spec)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_to_channels_round_trip():
    gray = np.arange(2 * 16, dtype=np.uint8).reshape(2, 1, 4, 4)
    rgb = to_channels(gray, 3)
    assert rgb.shape == (2, 3, 4, 4) and (rgb == gray).all()
    assert np.array_equal(to_channels(rgb, 1), gray)  # equal channels -> same gray
    red = np.zeros((1, 3, 2, 2), np.uint8)
    red[:, 0] = 255
    assert to_channels(red, 1)[0, 0, 0, 0] == 76  # ITU-R 601 weight of red, 0.299 * 255


def test_fit_images_keeps_aspect_and_crops_the_centre():
    assert fit_box(40, 20) == (10.0, 0.0, 30.0, 20.0)
    wide = np.zeros((1, 1, 20, 40), np.uint8)
    wide[..., 10:30] = 200  # the centre square is bright, the sides dark
    out = fit_images(wide, 10)
    assert out.shape == (1, 1, 10, 10)
    assert out.min() >= 150  # the dark sides are cropped away (only filter ringing is left)
