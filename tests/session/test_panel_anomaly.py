"""The anomaly panel's model without a display: the errors in a job per model, the map
coloured by them, the worst listed first."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.applications import reconstruction_errors
from latent_atlas.explorer.session.panels import AnomalyModel, select_sample


def test_colours_the_map_and_lists_the_worst_first(desk):
    (vae,) = desk.show("vae")
    m = AnomalyModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert m.ready and m.ranking is None and "Rank the samples" in m.hint
    m.set_worst(10)
    assert vae.colour_key != "recon_error"
    m.run_or_cancel()
    assert m.running() and "Reconstructing 1797 samples" in m.hint
    desk.settle(m)
    assert not m.running()
    errors = reconstruction_errors(vae.model, vae.images)
    assert np.allclose(m.ranking.errors, errors) and np.allclose(vae.recon_error, errors)
    assert vae.colour_key == "recon_error"
    col = vae.colouring()
    assert col.key == "recon_error" and col.kind == "continuous" and len(col.index) == vae.n_points
    assert col.index[int(np.argmax(errors))] == col.n_colours - 1
    assert col.index[int(np.argmin(errors))] == 0
    ids = m.columns[0].indices
    assert len(ids) == 10 and ids[0] == int(np.argmax(errors))
    assert np.all(np.diff(errors[ids]) <= 0)
    assert m.columns[0].captions[0].endswith(f"{errors[ids[0]]:.4f}")
    assert m.hint.startswith("The 10 worst of 1797 samples, worst first")

    select_sample(desk.shown.sessions, ids[2])  # what a gallery click does
    assert vae.hover_index == ids[2]
    assert np.allclose(vae.cursor_xy, vae.latent_map.positions[ids[2]])
    assert np.allclose(vae.cursor_z, vae.latent_map.codes[ids[2]], atol=1e-5)

    m.set_worst(3)  # kept errors: a new length needs no job
    desk.settle(m)
    assert m.columns[0].indices == ids[:3] and not m.running()
    m.close()


def test_ranks_each_model_and_a_selection_rings_the_sample_on_both_maps(desk):
    ae, vae = desk.show("ae", "vae")
    desk.link()
    m = AnomalyModel(desk.shown, desk.jobs)
    m.set_worst(10)
    m.run_or_cancel()
    desk.settle(m)
    for s, col in zip((ae, vae), m.columns, strict=True):
        errors = reconstruction_errors(s.model, s.images)
        assert np.allclose(col.ranking.errors, errors) and np.allclose(s.recon_error, errors)
        assert s.colour_key == "recon_error" and s.colouring().key == "recon_error"
        assert len(col.indices) == 10 and col.indices[0] == int(np.argmax(errors))
    assert m.columns[0].indices != m.columns[1].indices
    assert "AE " in m.hint and "VAE " in m.hint

    ids = m.columns[1].indices
    select_sample(desk.shown.sessions, ids[2])  # one of the VAE's worst...
    for s in (ae, vae):  # ...is ringed on both maps
        assert s.hover_index == ids[2] and s.selected_index == ids[2]
    assert np.allclose(ae.cursor_xy, ae.latent_map.positions[ids[2]])
    assert np.allclose(vae.cursor_xy, ae.cursor_xy)  # the VAE decoded the same point at once
    assert vae.cursor_image is not None
    m.close()


def test_a_cancelled_ranking_says_so(desk):
    desk.show("vae")
    m = AnomalyModel(desk.shown, desk.jobs)
    m.run_or_cancel()
    assert m.running()
    m.run_or_cancel()  # the button again: cancel
    desk.settle(m)
    assert not m.running()
    # A job that finished before the cancel reached it delivers its ranking anyway.
    assert (m.ranking is None and m.hint == "Ranking cancelled.") or m.ranking is not None
    m.close()
