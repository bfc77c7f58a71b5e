"""The factor heatmap's model without a display: the DCI importance matrix of each shown
model for data with factors, each factor's best dimension, and clicking a factor
traverses that dimension around the clicked point."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from latent_atlas.explorer.session.panels import FactorsModel, heat_colour
from latent_atlas.explorer.session.panels.factors import NO_FACTORS


@pytest.fixture()
def shapes_like(desk, runtime):
    (vae,) = desk.show("vae")
    extras = runtime["vae"][6]
    ink = extras.images.reshape(len(extras.images), -1).mean(axis=1).astype(np.float32)
    vae.set_data(dataclasses.replace(extras, factors={"digit": extras.labels.astype(np.int64),
                                                      "ink": ink}))
    desk.dispatcher.process()
    yield vae
    vae.set_data(extras)


def test_data_without_factors_says_so(desk):
    desk.show("ae")
    m = FactorsModel(desk.shown, desk.jobs)
    desk.settle(m)
    assert m.result.columns[0].note == NO_FACTORS and m.result.columns[0].importance is None
    m.close()


def test_heatmap_best_dimensions_and_the_factor_traversal(desk, shapes_like):
    vae = shapes_like
    m = FactorsModel(desk.shown, desk.jobs)
    desk.settle(m)
    desk.settle(m)  # the fit lands, then the update shows it
    col = m.result.columns[0]
    d = vae.model.config.latent_dim
    assert col.factors == ("digit", "ink") and col.importance.shape == (d, 2)
    assert np.allclose(col.importance.sum(axis=0), 1.0, atol=1e-6)  # importances sum to 1
    assert col.best == {f: int(np.argmax(col.importance[:, k]))
                        for k, f in enumerate(col.factors)}
    assert col.strip is None  # no factor chosen yet

    m.choose_factor("ink")
    desk.settle(m)
    col = m.result.columns[0]
    assert col.strip is None and "Click on the map" in col.strip_title
    desk.click(vae, vae.latent_map.positions[42])
    desk.settle(m)
    col = m.result.columns[0]
    best = col.best["ink"]
    assert col.strip is not None and col.strip.ndim == 2
    assert col.strip_title.startswith(f"ink → z{best}")
    # Seven decodes along the best dimension, side by side: they differ from one another.
    h = vae.images.shape[-1]
    first, last = col.strip[:, :h].astype(int), col.strip[:, -h:].astype(int)
    assert np.abs(first - last).mean() > 1.0

    m.choose_factor("no such factor")
    desk.settle(m)
    assert m.factor is None and m.result.columns[0].strip is None
    m.close()


def test_heat_colour_runs_from_white_to_dark_blue():
    assert heat_colour(0.0, 1.0) == (255, 255, 255)
    assert heat_colour(1.0, 1.0) == (8, 48, 107)
    assert heat_colour(5.0, 1.0) == heat_colour(1.0, 1.0)
    assert heat_colour(0.3, 0.0) == (255, 255, 255)
