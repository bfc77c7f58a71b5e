"""The selection panel's model: one summary per shown session, following the selection."""

from __future__ import annotations

from latent_atlas.explorer.session.panels.selection import SelectionModel


def test_the_model_follows_the_selection_of_every_shown_session(desk):
    ae, vae = desk.show("ae", "vae")
    desk.link()
    m = SelectionModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert [c.count for c in m.columns] == [0, 0]
    ae.selection = [0, 1, 2, 3]
    desk.settle(m)
    assert [c.count for c in m.columns] == [4, 4]  # mirrored to the VAE by the link
    assert all(c.mean_image is not None and c.medoid_index in (0, 1, 2, 3)
               for c in m.columns)
    m.close()
