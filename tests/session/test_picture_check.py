"""Your picture against the data: its error percentile and an inverted-brightness note."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.session.picture_check import check_picture, invert_placed, verdict_for


def test_verdicts_at_the_percentile_bounds():
    assert verdict_for(50) == "typical" and verdict_for(95) == "unusual"
    assert verdict_for(99.5) == "out of distribution"


def test_a_data_sample_is_typical_and_its_inverse_is_flagged(desk):
    s = desk.by_kind["vae"]
    order = np.argsort(s.recon_error)
    typical = s.images[int(order[len(order) // 2])]
    check = check_picture(s, s.place_image("sample.png", typical))
    assert check.verdict == "typical" and not check.inverted
    assert 20 <= check.percentile <= 80
    flipped = invert_placed(s)
    assert flipped.name == "sample.png (inverted)"
    check = check_picture(s, flipped)
    assert check.inverted and check.verdict == "out of distribution"
    assert "inverse" in check.text() and "percentile" in check.text()
    assert invert_placed(s).name == "sample.png"  # one more click puts it back
