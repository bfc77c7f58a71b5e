"""The traversal panel's model without a display: grids per dimension with the VAE's KL,
the hovered sample and a CVAE's label, the direction row, and one grid per shown model."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.applications import (
    attribute_direction,
    kl_per_dim,
    parse_direction,
)
from latent_atlas.explorer.session.loading import DataExtras
from latent_atlas.explorer.session.panels import TraversalModel
from latent_atlas.explorer.session.session import Session


def test_rows_per_dimension_with_kl_for_the_vae(desk):
    (vae,) = desk.show("vae")
    m = TraversalModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert m.result.traversal is None and "Click" in m.result.hint  # nothing clicked yet
    desk.click(vae, vae.latent_map.positions[42])
    desk.settle(m)
    t = m.result.traversal
    assert t is not None and t.kl is not None
    d = vae.model.config.latent_dim
    kl = kl_per_dim(vae.model, vae.images)  # all 1,797 digits: below the sample limit
    # Rows are ordered by KL by default, the dimensions whose mean code hardly varies
    # over the data (variance <= 0.01) marked inactive.
    var = vae.latent_map.codes.var(axis=0)
    by_kl = np.argsort(-kl, kind="stable")
    assert m.result.columns[0].titles == [
        f"z{j}  KL {kl[j]:.2f}" + ("  (inactive)" if var[j] <= 0.01 else "") for j in by_kl]
    assert m.result.columns[0].inactive == [int(j) for j in by_kl if var[j] <= 0.01]
    assert np.allclose(t.code, vae.cursor_z)  # swept around the clicked point
    assert t.images.shape[:2] == (d, 7) and len(m.result.columns[0].rows) == d
    # The most informative dimension changes its decoded images along the row far more
    # than the least informative one (which the VAE switched off).
    change = [np.abs(row.astype(int) - row[3].astype(int)).mean() for row in t.images]
    rows_of = {int(j): r for r, j in enumerate(t.dims)}
    assert change[rows_of[int(np.argmax(kl))]] > 3 * change[rows_of[int(np.argmin(kl))]]
    m.set_sort_kl(False)
    desk.settle(m)
    assert [t.split("  (inactive)")[0] for t in m.result.columns[0].titles] == [
        f"z{j}  KL {kl[j]:.2f}" for j in range(d)]
    assert "KL per dimension in nats" in m.result.hint
    assert m.result.header.startswith("Around the point (")

    m.set_sort_kl(True)
    desk.settle(m)
    shown = [float(title.split("KL ")[1].split()[0]) for title in m.result.columns[0].titles]
    assert len(shown) == d and shown == sorted(shown, reverse=True)
    m.close()


def test_the_ae_has_no_kl_and_a_data_scaled_sweep(desk):
    ae, _ = desk.show("ae", "vae")
    desk.show("ae")
    m = TraversalModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert not m.kl_sortable and m.result.traversal is None and "Click" in m.result.hint
    desk.click(ae, ae.latent_map.positions[42])
    desk.settle(m)
    d = ae.model.config.latent_dim
    var = ae.latent_map.codes.var(axis=0)
    assert m.result.columns[0].titles == [
        f"z{j}" + ("  (inactive)" if var[j] <= 0.01 else "") for j in range(d)]
    assert m.result.traversal.scale == "data" and m.result.hint == ""
    m.close()


def test_follows_the_hovered_sample_and_a_cvae_label(desk, digits):
    from latent_atlas.explorer.core.inference import Decoder, encode
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    # Untrained is enough here: its decoder already takes the label as an input.
    cfg = ModelConfig(kind="cvae", arch="mlp", input_shape=(1, 8, 8), latent_dim=3,
                      hidden=(64, 32), n_classes=10, seed=0)
    model = build_model(cfg).eval()
    meta = {"config": cfg.to_dict(), "data_spec": "digits",
            "label_names": list(digits.label_names)}
    s = Session("digits_cvae", meta, latent_map=quick_map(encode(model, digits.images)),
                labels=digits.labels, dispatcher=desk.dispatcher)
    s.set_model(model, Decoder(model))
    s.set_data(DataExtras(data=digits, images=digits.images, labels=digits.labels,
                          label_names=list(digits.label_names)))
    desk.shown.set([s])
    m = TraversalModel(desk.shown, desk.jobs)
    m.set_source("hovered")
    s.set_hover(10)
    desk.settle(m)
    assert len(m.label_choices) == 1 + 10 and m.label_choices[0] == ("sample's label", None)
    t = m.result.traversal
    assert len(m.result.columns[0].rows) == 1 + 3  # the progression strip, then z0..z2
    assert m.result.columns[0].titles[0] == "condition 0 … 9"
    assert np.allclose(t.code, s.latent_map.codes[10])
    assert t.label == int(digits.labels[10])  # "sample's label" by default
    s.set_hover(None)  # leaving the map keeps the last sample
    desk.settle(m)
    assert np.allclose(m.result.traversal.code, s.latent_map.codes[10])
    grids = {}
    for label in (3, 8):
        m.set_label(label)
        desk.settle(m)
        assert m.result.traversal.label == label
        grids[label] = m.result.traversal.images.copy()
    assert not np.array_equal(grids[3], grids[8])
    m.close()
    s.close()


def test_adds_a_label_direction_row_with_its_strength(desk):
    (ae,) = desk.show("ae")
    m = TraversalModel(desk.shown, desk.jobs)
    desk.click(ae, ae.latent_map.positions[42])
    desk.settle(m)
    d = ae.model.config.latent_dim
    assert len(m.result.columns[0].rows) == d and m.result.direction_rows == [None]
    assert [title for _, title in m.groups] == [str(k) for k in range(10)]  # the labels
    keys = dict((title, key) for key, title in m.groups)
    m.set_direction(keys["1"], keys["3"])
    m.set_strength(-1.5)
    m.set_add_direction(True)
    desk.settle(m)
    col = m.result.columns[0]
    assert len(col.rows) == d + 1 and col.titles[0] == "1 − 3 ×-1.5"
    row = m.result.direction_rows[0]
    codes, labels = ae.latent_map.codes, ae.map_labels()
    v = attribute_direction(codes, *parse_direction("1:3", labels, ae.label_names))
    np.testing.assert_allclose(row.direction.vector, v.vector, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(row.strengths, np.linspace(0, -1.5, 7), atol=1e-6)
    np.testing.assert_allclose(row.codes[0], ae.cursor_z, atol=1e-6)  # strength 0: the code
    assert np.array_equal(row.images[0], m.result.traversal.images[0, 3])  # its own decode
    assert not np.array_equal(row.images[0], row.images[-1])
    assert "mean code of 1 minus that of 3" in m.result.header

    m.set_strength(2.0)
    desk.settle(m)
    assert m.result.columns[0].titles[0] == "1 − 3 ×+2.0"
    m.set_add_direction(False)
    desk.settle(m)
    assert len(m.result.columns[0].rows) == d and m.result.columns[0].titles[0] == "z0"
    m.close()


def test_one_grid_per_shown_model_around_the_same_point(desk):
    ae, vae = desk.show("ae", "vae")
    desk.link()
    m = TraversalModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert [c.session for c in m.result.columns] == [ae, vae]
    assert all(c.traversal is None for c in m.result.columns)
    desk.click(ae, ae.latent_map.positions[42])
    assert np.allclose(vae.cursor_xy, ae.cursor_xy)  # the linked VAE decodes the same point
    desk.settle(m)
    for s, t in zip((ae, vae), m.result.traversals, strict=True):
        assert np.allclose(t.code, s.cursor_z)  # each model around its own code of the point
        assert len(t.rows) == s.model.config.latent_dim
    d = ae.model.config.latent_dim
    assert [t.split("  (inactive)")[0] for t in m.result.columns[0].titles] == [
        f"z{j}" for j in range(d)]  # the AE has no KL
    kl = kl_per_dim(vae.model, vae.images)
    var = vae.latent_map.codes.var(axis=0)
    assert m.result.columns[1].titles == [  # ordered by KL, inactive dimensions marked
        f"z{j}  KL {kl[j]:.2f}" + ("  (inactive)" if var[j] <= 0.01 else "")
        for j in np.argsort(-kl, kind="stable")]
    assert m.kl_sortable

    m.set_source("hovered")
    vae.set_hover(10)  # hovering one map hovers the same sample on the other
    desk.settle(m)
    for s, t in zip((ae, vae), m.result.traversals, strict=True):
        assert np.allclose(t.code, s.latent_map.codes[10])

    desk.shown.set([vae])  # one model shown again: one grid
    desk.settle(m)
    assert len(m.result.columns) == 1
    assert np.allclose(m.result.traversal.code, vae.latent_map.codes[10])
    m.close()


def test_a_stale_grid_never_lands(desk):
    (ae,) = desk.show("ae")
    m = TraversalModel(desk.shown, desk.jobs)
    desk.click(ae, ae.latent_map.positions[1])
    m.flush()  # a grid decoding around sample 1...
    desk.click(ae, ae.latent_map.positions[2])
    desk.settle(m)  # ...superseded by the one around sample 2
    assert np.allclose(m.result.traversal.code, ae.latent_map.codes[2], atol=1e-5)
    m.close()


def test_a_hidden_panel_does_no_work_and_catches_up_when_shown(desk):
    (ae,) = desk.show("ae")
    m = TraversalModel(desk.shown, desk.jobs)
    m.set_live(False)
    desk.click(ae, ae.latent_map.positions[5])
    desk.dispatcher.process()
    assert not desk.jobs.running() and m.result.traversal is None and m.stale
    m.set_live(True)
    desk.settle(m)
    assert m.result.traversal is not None
    m.close()


def test_inactive_dimensions_are_marked():
    from latent_atlas.explorer.session.panels.traversal_grids import mark_inactive

    rng = np.random.default_rng(0)
    codes = np.stack([rng.normal(size=500), rng.normal(size=500) * 0.05,
                      rng.normal(size=500) * 0.5], axis=1)
    titles, inactive = mark_inactive(["z2", "z0", "z1"], np.array([2, 0, 1]), codes)
    assert titles == ["z2", "z0", "z1  (inactive)"] and inactive == [1]
    assert mark_inactive(["z0"], [0], None) == (["z0"], [])


def test_a_caae_gets_the_progression_strip_on_top(desk, digits):
    """Zhang et al.'s progression: the clicked code held, decoded under every condition."""
    from latent_atlas.explorer.core.inference import Decoder, decode_float, encode, to_display
    from latent_atlas.explorer.core.latent.map import quick_map
    from latent_atlas.models.config import ModelConfig
    from latent_atlas.models.networks import build_model

    cfg = ModelConfig(kind="caae", arch="mlp", input_shape=(1, 8, 8), latent_dim=2,
                      hidden=(64, 32), n_classes=10, seed=0)
    model = build_model(cfg).eval()
    meta = {"config": cfg.to_dict(), "data_spec": "digits",
            "label_names": [f"digit {k}" for k in range(10)]}
    s = Session("digits_caae", meta, latent_map=quick_map(encode(model, digits.images)),
                labels=digits.labels, dispatcher=desk.dispatcher)
    s.set_model(model, Decoder(model))
    s.set_data(DataExtras(data=digits, images=digits.images, labels=digits.labels,
                          label_names=[f"digit {k}" for k in range(10)]))
    desk.shown.set([s])
    m = TraversalModel(desk.shown, desk.jobs)
    desk.click(s, s.latent_map.positions[5])
    desk.settle(m)
    col = m.result.columns[0]
    assert col.titles[0] == "condition digit 0 … digit 9" and len(col.rows) == 1 + 2
    code = m.result.traversal.code
    expected = to_display(decode_float(model, np.repeat(code[None], 10, axis=0),
                                       labels=np.arange(10)))
    assert np.array_equal(col.rows[0], expected) and col.progression.conditions == list(range(10))
    assert len({col.rows[0][k].tobytes() for k in range(10)}) > 1  # the label changes the image
    assert "decodes it under each condition (digit 0 to digit 9" in m.result.header
    m.set_sweep_condition(False)
    desk.settle(m)
    assert len(m.result.columns[0].rows) == 2 and m.result.columns[0].progression is None
    m.close()
