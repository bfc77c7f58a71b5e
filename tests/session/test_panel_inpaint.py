"""The inpainting panel's model without a display: the mask drawn by gestures, the hole
filled by each shown model in a job, known pixels never changed."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.applications import inpaint
from latent_atlas.explorer.core.io.images import sample_display
from latent_atlas.explorer.session.panels import InpaintModel


def _fill(desk, m) -> None:
    m.flush()
    assert desk.dispatcher.wait_until(lambda: not m.filling() and not m.stale, 60)
    desk.dispatcher.process()


def test_a_dragged_rectangle_is_filled_and_known_pixels_stay(desk):
    (vae,) = desk.show("vae")
    m = InpaintModel(desk.shown, desk.jobs)
    m.set_pick_mode("number")
    m.set_pick_number(12)
    _fill(desk, m)
    assert m.view.canvas is not None and m.result is None and "Drag a rectangle" in m.view.hint
    for phase, xy in (("start", (2.5, 1.5)), ("move", (4.0, 3.0)), ("finish", (5.5, 4.5))):
        m.gesture(phase, *xy)  # pixel centres: columns 2-5, rows 1-4
        if phase == "move":
            assert m.view.canvas is not None and not m.hole.any()  # a preview only
    _fill(desk, m)
    hole = m.hole
    assert hole.sum() == 16 and hole[1:5, 2:6].all()
    r = m.result
    assert r is not None and r.iterations == 10
    original = vae.images[12]
    filled = r.filled[0]
    assert np.array_equal(filled[:, ~hole], original[:, ~hole])  # known pixels never change
    assert np.ptp(filled[:, hole]) > 0  # a real fill, not the flat starting value
    assert np.array_equal(filled, inpaint(vae.model, original, hole, steps=10).filled[0])
    assert np.array_equal(m.view.filled[0], sample_display(r.filled, [0])[0])
    assert m.view.captions[0].startswith("error in the hole")
    assert m.view.hint.startswith("16 pixels filled in 10 iteration(s)")
    shown = m.view.canvas  # the hole is tinted on the canvas, the rest is the image
    assert shown.ndim == 3 and (shown[hole] != shown[hole][:, :1]).any()
    assert (shown[~hole] == shown[~hole][:, :1]).all()

    m.set_iterations(3)
    _fill(desk, m)
    assert m.result.iterations == 3
    m.set_tool("eraser")
    m.set_radius(0.0)
    for phase, xy in (("start", (2.5, 1.5)), ("move", (4.0, 1.5)), ("finish", (5.5, 1.5))):
        m.gesture(phase, *xy)  # erase the top row of the hole
    _fill(desk, m)
    assert m.hole.sum() == 12 and not m.hole[1].any()
    assert np.array_equal(m.result.mask[0, 0], m.hole)
    m.clear_mask()
    _fill(desk, m)
    assert not m.hole.any() and m.result is None
    m.close()


def test_the_same_hole_is_filled_by_each_model(desk):
    ae, vae = desk.show("ae", "vae")
    m = InpaintModel(desk.shown, desk.jobs)
    m.set_pick_mode("number")
    m.set_pick_number(12)
    _fill(desk, m)
    assert m.view.titles == ["filled by AE — digits_ae", "filled by VAE — digits_vae"]
    hole = np.zeros(ae.images.shape[2:], dtype=bool)
    hole[1:5, 2:6] = True
    m.set_mask(hole)
    _fill(desk, m)
    assert len(m.results) == 2 and m.result is m.results[0]
    original = ae.images[12]
    for s, r in zip((ae, vae), m.results, strict=True):
        assert np.array_equal(r.filled[0], inpaint(s.model, original, hole, steps=10).filled[0])
        assert np.array_equal(r.filled[0][:, ~hole], original[:, ~hole])
    assert not np.array_equal(m.results[0].filled, m.results[1].filled)
    assert "AE " in m.view.hint and "VAE " in m.view.hint
    m.close()


def test_a_fill_whose_mask_changed_meanwhile_never_lands(desk):
    (vae,) = desk.show("vae")
    m = InpaintModel(desk.shown, desk.jobs)
    m.set_pick_mode("number")
    m.set_pick_number(3)
    _fill(desk, m)
    first = np.zeros(vae.images.shape[2:], dtype=bool)
    first[0:2, 0:2] = True
    second = np.zeros_like(first)
    second[4:7, 4:7] = True
    m.set_mask(first)
    m.flush()  # the first fill runs...
    m.set_mask(second)
    m.flush()  # ...and the second waits for it
    assert m.filling()
    _fill(desk, m)
    assert np.array_equal(m.result.mask[0, 0], second)
    m.close()
