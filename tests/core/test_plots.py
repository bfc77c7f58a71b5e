"""Line charts as PNG (latent_atlas.explorer.core.io.plots)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from latent_atlas.explorer.core.io.plots import Line, line_chart_png, png_rgb, save_png


def test_chart_is_an_rgb_png_of_the_asked_size_with_the_lines_drawn(tmp_path):
    png = line_chart_png([Line("a", [1, 2, 3], [3.0, 1.0, 2.0], colour=(213, 94, 0)),
                          Line("ref", [1, 2, 3], [2.0, 2.0, 2.0], muted=True, dashed=True)],
                         size=(640, 400), title="t", x_label="x", y_label="y")
    rgb = png_rgb(png)
    assert rgb.shape == (400, 640, 3)
    # the orange line is in the picture (a colour no axis, grid or text has)
    orange = np.all(np.abs(rgb.astype(int) - [213, 94, 0]) < 30, axis=-1)
    assert orange.sum() > 50
    out = tmp_path / "c.png"
    save_png(out, png)
    assert out.read_bytes() == png


def test_points_that_are_not_finite_are_left_out_and_an_empty_chart_is_refused():
    # a perfect copy has infinite PSNR: the line is drawn through its finite points
    rgb = png_rgb(line_chart_png([Line("psnr", [0, 0.1, 0.2], [math.inf, 22.0, 17.0])]))
    assert rgb.ndim == 3
    with pytest.raises(ValueError, match="no finite values"):
        line_chart_png([Line("x", [1, 2], [math.nan, math.inf])])
    with pytest.raises(ValueError, match="2 x values and 3 y values"):
        line_chart_png([Line("x", [1, 2], [1, 2, 3])])
    # a log axis leaves out x <= 0
    with pytest.raises(ValueError, match="no finite values"):
        line_chart_png([Line("x", [0, -1], [1, 2])], log_x=True)
