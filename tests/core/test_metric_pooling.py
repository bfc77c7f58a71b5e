"""The hole threshold of `compare_models` is pooled over every compared model.

Two linear models whose encoder and decoder are mirrored in numpy (metric_models.py) let every distance
be recomputed independently by brute force: the threshold must be the percentile of all
models' held-out reconstruction distances together, not one model's, and not depend on
the order the models are given in.
"""

from __future__ import annotations

import numpy as np
import pytest
from metric_models import LinearModel, nearest_rms, pca_model, synthetic_data

from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings, compare_models
from latent_atlas.explorer.core.data import ImageSet
from latent_atlas.explorer.core.progress import drain
from latent_atlas.models.trainer import split_indices

SETTINGS = MetricSettings(n_prior=300, n_pairs=8, n_path=40, seed=2)


def _data() -> ImageSet:
    return synthetic_data()


def _models(data: ImageSet) -> dict[str, LinearModel]:
    """A PCA-like model with 4 components (scaled so its codes look N(0, 1)-ish) and a
    cruder one with 2: their reconstruction distances differ clearly."""
    return {"good": pca_model(data, 4), "poor": pca_model(data, 2)}


_nearest_rms = nearest_rms


def _independent(models: dict[str, LinearModel], data: ImageSet):
    held = split_indices(len(data.images), 0.1, 0)[1]  # every model has seed 0
    train = np.setdiff1d(np.arange(len(data.images)), held)
    recon_dist, prior_dist = {}, {}
    for name, m in models.items():
        recon = m.np_decode(m.np_encode(data.images[held]))
        recon_dist[name] = _nearest_rms(recon, data.images[train])
        z = np.random.default_rng(SETTINGS.seed).standard_normal((SETTINGS.n_prior, m.latent_dim))
        prior_dist[name] = _nearest_rms(m.np_decode(z.astype(np.float32)), data.images[train])
    return held, train, recon_dist, prior_dist


def test_hole_threshold_is_pooled_over_the_models():
    data = _data()
    models = _models(data)
    held, train, recon_dist, prior_dist = _independent(models, data)
    res = drain(compare_models(models, data, SETTINGS))
    assert res.n_held_out == len(held) and res.n_reference == len(train)

    pooled = float(np.percentile(np.concatenate(list(recon_dist.values())), 95))
    own = {name: float(np.percentile(d, 95)) for name, d in recon_dist.items()}
    # the two models really face different bars on their own
    assert abs(own["good"] - own["poor"]) > 0.02
    assert min(own.values()) < pooled < max(own.values())
    assert min(abs(pooled - v) for v in own.values()) > 0.003

    assert res.hole_threshold == pytest.approx(pooled, rel=1e-5)
    for m in res.models:
        assert m.hole_threshold == res.hole_threshold
        assert m.recon_p95 == pytest.approx(own[m.name], rel=1e-4)
        expected_holes = float((prior_dist[m.name] > res.hole_threshold).mean())
        assert m.hole_fraction == pytest.approx(expected_holes, abs=1.5 / SETTINGS.n_prior)
    fractions = [m.hole_fraction for m in res.models]
    assert 0.0 < min(fractions) and max(fractions) < 1.0  # the threshold matters here


def test_hole_threshold_does_not_depend_on_model_order():
    data = _data()
    models = _models(data)
    forward = drain(compare_models(models, data, SETTINGS))
    backward = drain(compare_models(dict(reversed(list(models.items()))), data, SETTINGS))
    assert backward.hole_threshold == pytest.approx(forward.hole_threshold, rel=1e-6)
    by_name = {m.name: m for m in backward.models}
    for m in forward.models:
        assert by_name[m.name].hole_fraction == pytest.approx(m.hole_fraction, abs=1e-9)


def test_one_model_alone_uses_its_own_percentile():
    data = _data()
    models = _models(data)
    _, _, recon_dist, _ = _independent(models, data)
    alone = drain(compare_models({"poor": models["poor"]}, data, SETTINGS))
    assert alone.hole_threshold == pytest.approx(float(np.percentile(recon_dist["poor"], 95)),
                                                 rel=1e-4)
