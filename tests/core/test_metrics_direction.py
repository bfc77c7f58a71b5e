"""The direction the theory predicts: a VAE's prior samples fall into fewer holes than an
AE's (with a Gaussian fitted to its codes). Small conv pairs trained with a fixed seed."""

from __future__ import annotations

import pytest
import torch

from latent_atlas.explorer.core.analysis.comparison.metrics import MetricSettings, compare_models
from latent_atlas.explorer.core.data import load_data
from latent_atlas.explorer.core.progress import drain
from latent_atlas.explorer.core.training import train_pair
from latent_atlas.models.config import ModelConfig

SETTINGS = MetricSettings(seed=0, n_prior=1000, n_pairs=30, n_path=100)


def _pair_metrics(data, epochs: int):
    cfg = ModelConfig(kind="ae", arch="conv", input_shape=data.shape, latent_dim=16,
                      hidden=(16, 32), epochs=epochs, batch_size=32, lr=3e-3, seed=0)
    events = []
    pair = drain(train_pair(cfg, data.images, device="cpu"), events.append)
    assert pair.status == "completed"
    ae, vae = pair.model("ae"), pair.model("vae")
    # identical in everything but the kind
    assert ae.config.replace(kind="vae") == vae.config
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert {e.kind for e in events} == {"ae", "vae"}
    result = drain(compare_models({"AE": ae, "VAE": vae}, data, SETTINGS))
    return result.models


@pytest.fixture(autouse=True)
def _modest_threads():
    # Other work shares the 2 cores; one thread trains these tiny models just as fast.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_vae_has_fewer_holes_than_ae_on_digits(digits):
    ae, vae = _pair_metrics(digits, epochs=8)
    assert vae.hole_fraction < ae.hole_fraction - 0.05, (ae, vae)


def test_vae_has_fewer_holes_than_ae_on_shapes():
    data = load_data("shapes:2000?size=16")
    ae, vae = _pair_metrics(data, epochs=6)
    assert vae.hole_fraction < ae.hole_fraction - 0.05, (ae, vae)
