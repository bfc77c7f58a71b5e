"""The retrieval panel's model without a display: the k nearest codes to the clicked
point, the hovered sample or your image, one search per shown model."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.applications import nearest_codes, retrieve_sample
from latent_atlas.explorer.session.panels import RetrievalModel, select_sample


def test_the_k_nearest_to_the_clicked_point_the_hovered_sample_and_your_image(desk):
    (vae,) = desk.show("vae")
    m_ = vae.latent_map
    m = RetrievalModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert m.result.neighbours is None and "Click" in m.result.hint
    m.set_k(9)
    desk.click(vae, m_.positions[100])
    desk.settle(m)
    hits = nearest_codes(m_.codes, m_.inverse(m_.positions[100]), 9)
    col = m.result.columns[0]
    assert col.indices == list(hits.indices) and 100 in col.indices
    assert hits.distances[0] < 1e-4 and col.images is vae.images
    assert col.captions[0].startswith(f"#{col.indices[0]} · ") and "\nd " in col.captions[0]
    ids = col.indices
    # Somewhere else on the map, other neighbours.
    far = int(np.argmax(np.linalg.norm(m_.positions - m_.positions[100], axis=1)))
    desk.click(vae, m_.positions[far])
    desk.settle(m)
    assert m.result.columns[0].indices == list(nearest_codes(m_.codes, m_.codes[far], 9).indices)
    assert set(m.result.columns[0].indices).isdisjoint(ids)

    m.set_query("hovered")
    vae.set_hover(5)
    desk.settle(m)
    assert m.result.columns[0].indices == list(retrieve_sample(m_.codes, 5, 9).indices)

    m.set_query("own")
    desk.settle(m)
    assert m.result.neighbours is None and "Open image" in m.result.hint
    placed = vae.place_image("mine.png", vae.images[20])  # what File ▸ Open image… does
    desk.settle(m)
    assert m.result.columns[0].indices == list(nearest_codes(m_.codes, placed.z, 9).indices)
    assert 20 in m.result.columns[0].indices and m.result.neighbours.distances[0] < 1e-4

    m.set_query("clicked")
    desk.settle(m)
    shown = m.result.columns[0].indices
    select_sample(desk.shown.sessions, shown[3])  # what a gallery click does...
    assert vae.hover_index == shown[3]
    assert np.allclose(vae.cursor_xy, m_.positions[shown[3]])
    desk.settle(m)  # ...and the search follows it
    assert shown[3] in m.result.columns[0].indices and m.result.neighbours.distances[0] < 1e-4
    m.close()


def test_each_model_searches_its_own_latent_space_for_the_same_query(desk):
    ae, vae = desk.show("ae", "vae")
    desk.link()
    m = RetrievalModel(desk.shown, desk.jobs)
    m.set_k(9)
    desk.click(ae, ae.latent_map.positions[100])
    desk.settle(m)
    assert [c.session for c in m.result.columns] == [ae, vae]
    assert len(m.result.all_neighbours) == 2 and "by each model" in m.result.hint
    for s, col in zip((ae, vae), m.result.columns, strict=True):
        assert col.indices == list(nearest_codes(s.latent_map.codes, s.cursor_z, 9).indices)
    assert 100 in m.result.columns[0].indices

    m.set_query("hovered")
    vae.set_hover(5)
    desk.settle(m)
    for s, col in zip((ae, vae), m.result.columns, strict=True):
        assert col.indices == list(retrieve_sample(s.latent_map.codes, 5, 9).indices)
    assert m.result.columns[0].indices != m.result.columns[1].indices

    desk.shown.set([vae])  # one model shown again: one gallery
    desk.settle(m)
    assert len(m.result.columns) == 1
    assert m.result.columns[0].indices == list(retrieve_sample(vae.latent_map.codes, 5,
                                                               9).indices)
    m.close()


def test_without_data_the_hits_are_named_until_the_thumbnails_can_be_shown(desk):
    (ae,) = desk.show("ae")
    images = ae.images
    ae.images = None  # the map is there, the data not yet
    m = RetrievalModel(desk.shown, desk.jobs)
    desk.click(ae, ae.latent_map.positions[3])
    desk.settle(m)
    col = m.result.columns[0]
    assert col.images is None and col.indices and "thumbnails appear" in m.result.hint
    ae.images = images
    m.close()
