import numpy as np
import pytest
from PIL import Image

from latent_atlas.explorer.core.io.images import (
    ImageImportError,
    dataset_background,
    is_image_path,
    load_model_input,
    to_model_input,
)


def test_photo_becomes_model_sized_grayscale_with_digit_polarity():
    img = Image.new("RGB", (200, 100), (255, 255, 255))  # dark strokes on white paper
    img.paste((0, 0, 0), (90, 20, 110, 80))
    out = to_model_input(img, (1, 8, 8), background=0.0)
    assert out.shape == (1, 8, 8) and out.dtype == np.uint8
    assert out[0, 0, 0] < 30  # inverted: MNIST-style black background
    assert out[0, 4, 4] > out[0, 0, 0]


def test_keep_polarity_and_wide_image_is_padded_not_cropped():
    img = Image.new("L", (300, 30), 255)
    img.paste(0, (0, 0, 10, 30))  # a mark at the far left edge must survive
    out = to_model_input(img, (1, 16, 16), polarity="keep")
    assert out[0, 8, 0] < 200  # left edge kept (padding goes above and below)
    assert out[0, 0, 8] == 255 and out[0, -1, 8] == 255  # padded with the border colour


def test_rgba_and_colour_models():
    img = Image.new("RGBA", (10, 20), (255, 0, 0, 0))  # fully transparent: white
    out = to_model_input(img, (3, 12, 12), polarity="keep")
    assert out.shape == (3, 12, 12)
    assert (out == 255).all()
    rgb = Image.new("RGB", (12, 12), (10, 200, 30))
    out = to_model_input(rgb, (3, 12, 12), polarity="keep")
    assert tuple(out[:, 5, 5]) == (10, 200, 30)


def test_files_and_errors(tmp_path):
    p = tmp_path / "x.jpg"
    Image.new("RGB", (40, 40), (0, 0, 0)).save(p)
    assert load_model_input(p, (1, 28, 28)).shape == (1, 28, 28)
    assert is_image_path(p) and not is_image_path(tmp_path / "m.safetensors")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    with pytest.raises(ImageImportError, match="not a picture"):
        load_model_input(bad, (1, 8, 8))
    with pytest.raises(ImageImportError, match="does not exist"):
        load_model_input(tmp_path / "missing.png", (1, 8, 8))
    with pytest.raises(ImageImportError, match="folder"):
        load_model_input(tmp_path, (1, 8, 8))


def test_dataset_background(digits):
    assert dataset_background(digits.images) < 60  # 8x8 digits touch the border a little
    assert dataset_background(255 - digits.images) > 195
