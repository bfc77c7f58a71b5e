import numpy as np
import pytest

from latent_atlas.explorer.core.io.blend import cross_fade, stack_rows, tile_row, upscale


def test_cross_fade_ends_exact_and_linear():
    a = np.zeros((4, 4), np.uint8)
    b = np.full((4, 4), 200, np.uint8)
    f = cross_fade(a, b, 5)
    assert f.shape == (5, 4, 4) and f.dtype == np.uint8
    assert np.array_equal(f[0], a) and np.array_equal(f[-1], b)
    assert list(f[:, 0, 0]) == [0, 50, 100, 150, 200]


def test_cross_fade_errors():
    with pytest.raises(ValueError):
        cross_fade(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError):
        cross_fade(np.zeros((2, 2)), np.zeros((2, 2)), steps=1)


def test_tile_and_stack():
    imgs = np.stack([np.full((3, 2), i, np.uint8) for i in range(4)])
    row = tile_row(imgs, gap=1, fill=9)
    assert row.shape == (3, 4 * 2 + 3)
    assert row[0, 2] == 9 and row[0, 3] == 1
    rgb = np.zeros((2, 3, 2, 3), np.uint8)
    out = stack_rows([row, tile_row(rgb)], gap=2)
    assert out.shape == (3 + 2 + 3, 11, 3)
    assert upscale(np.eye(2, dtype=np.uint8), 3).shape == (6, 6)
