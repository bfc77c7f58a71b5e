"""What the File menu and the strips do to a session, without a display: your picture
placed, codes, the map and the strip exported, the strip rows and the prior-sample grid."""

from __future__ import annotations

import numpy as np
import pytest

from latent_atlas.explorer.session.panels import files


def test_a_picture_is_converted_for_the_model_and_placed(desk, tmp_path):
    from PIL import Image

    (vae,) = desk.show("vae")
    path = tmp_path / "seven.png"
    Image.fromarray(np.kron(vae.images[7, 0], np.ones((4, 4), np.uint8))).save(path)
    assert files.is_image_path(path) and not files.is_image_path(tmp_path / "m.safetensors")
    placed = files.place_picture(vae, path)
    assert placed.name == "seven.png" and vae.placed is placed
    assert placed.original.shape == vae.input_shape


def test_codes_map_and_strip_exports(desk, tmp_path):
    (ae,) = desk.show("ae")
    assert files.default_export_name(ae, "_codes.csv") == "digits_ae_codes.csv"
    assert files.default_export_name(None, ".png") == "latent_atlas.png"
    assert files.export_codes(ae, "csv", tmp_path / "c.csv") == ae.n_points
    assert (tmp_path / "c.csv").read_text().count("\n") == ae.n_points + 1
    assert files.export_codes(ae, "npz", tmp_path / "c.npz") == ae.n_points
    assert files.export_interop(ae, "projector", tmp_path / "proj") == ae.n_points
    with pytest.raises(ValueError, match="open or train a model first"):
        files.export_codes(None, "csv", tmp_path / "never.csv")

    assert not files.has_strip(ae) and files.strip_rows(ae).decoded is None
    with pytest.raises(ValueError, match="draw an arrow"):
        files.export_strip(ae, "png", tmp_path / "never.png")
    pos = ae.latent_map.positions
    ae.add_arrow(pos[0], pos[1], tolerance=1e-6)
    rows = files.strip_rows(ae)
    h, w = ae.selected().frames.shape[1:3]
    assert rows.decoded.shape[:2] == (h, ae.steps * w + ae.steps - 1) and rows.fade is not None
    assert files.arrow_titles(ae) == ["1: #0 → #1"]
    files.export_strip(ae, "png", tmp_path / "s.png")
    files.export_strip(ae, "gif", tmp_path / "s.gif")
    assert (tmp_path / "s.png").stat().st_size > 0 and (tmp_path / "s.gif").stat().st_size > 0


def test_the_compare_strip_and_the_prior_sample_grid(desk):
    ae, vae = desk.show("ae", "vae")
    desk.link()
    assert files.pair_strip_frames([ae, vae]) == [None, None, None]
    pos = ae.latent_map.positions
    ae.add_arrow(pos[0], pos[5], tolerance=1e-6)  # the link draws it in the VAE too
    frames = files.pair_strip_frames([ae, vae])
    assert all(f is not None and len(f) == ae.steps for f in frames)
    assert np.array_equal(frames[2][0], frames[0][0])  # the fade starts on the AE's image
    assert all(r.ndim == 2 for r in files.pair_strip_rows([ae, vae]))
    grid = files.sample_grid(np.full((5, 8, 8), 200, np.uint8))
    assert grid.shape == (2 * 8 + 1, 3 * 8 + 2)  # 2 rows of 3, one-pixel gaps
    assert grid[-8:, -8:].max() == 0 and grid[:8, :8].min() == 200  # the missing one is black
