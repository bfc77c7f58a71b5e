"""The factor heatmap panel binds to its model: one table per shown model (a row per
dimension, a column per factor, the cell colours from the model), and clicking a factor's
header asks the model to traverse its best dimension, whose row it then shows."""

from __future__ import annotations

import numpy as np
from test_panels import click_map, jobs, main, make_panel, settle  # noqa: F401

from latent_atlas.explorer.qt.panels import FactorsPanel


def test_factor_heatmap_and_a_click_on_a_factor(qtbot, main, jobs):  # noqa: F811
    from latent_atlas.explorer.session.loading import DataExtras

    vae = main.shown.sessions[0]
    images = vae.images
    ink = images.reshape(len(images), -1).mean(axis=1).astype(np.float32)

    vae.set_data(DataExtras(data=vae.dataset.data, images=images, labels=vae.labels,
                            label_names=list(vae.label_names),
                            factors={"digit": vae.labels.astype(np.int64), "ink": ink}))
    panel = make_panel(qtbot, FactorsPanel, main.shown, jobs)
    settle(qtbot, panel, jobs)
    settle(qtbot, panel, jobs)
    table = panel.heatmaps[0].table
    d = vae.model.config.latent_dim
    assert (table.rowCount(), table.columnCount()) == (d, 2)
    assert [table.horizontalHeaderItem(k).text() for k in range(2)] == ["digit", "ink"]
    col = panel.model.result.columns[0]
    best = col.best["ink"]
    assert table.item(best, 1).font().bold()
    assert table.item(best, 1).text() == f"{col.importance[best, 1]:.2f}"

    click_map(vae, vae.latent_map.positions[42])
    table.horizontalHeader().sectionClicked.emit(1)  # a click on the "ink" header
    assert panel.model.factor == "ink"
    settle(qtbot, panel, jobs)
    heat = panel.heatmaps[0]
    assert heat.strip.isVisible() and not heat.strip.pixmap().isNull()
    assert heat.strip.pixmap().width() <= heat.width()  # the whole row fits the panel
    assert heat.strip_title.text().startswith(f"ink → z{best}")
