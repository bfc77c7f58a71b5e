"""The compare window's metrics table grows the per-latent diagnostics and, for data
with factors, the disentanglement metrics of both models (from the metrics job)."""

from __future__ import annotations

import numpy as np

from latent_atlas.explorer.core.analysis.comparison.metrics import (
    CompareResult,
    MetricSettings,
    ModelMetrics,
)
from latent_atlas.explorer.core.analysis.disentangle import disentanglement, latent_diagnostics
from latent_atlas.explorer.core.analysis.disentangle.per_model import latent_rows
from latent_atlas.explorer.session.panels import compare_views


def _latents(with_factors: bool) -> dict:
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(300, 3))
    factors = {"a": (mu[:, 0] > 0).astype(np.int64), "b": mu[:, 1].copy()}
    out = {}
    for name, lv in (("a", None), ("b", np.zeros_like(mu))):
        dis = (disentanglement(mu, factors).to_dict() if with_factors else None)
        out[name] = {"latents": latent_diagnostics(mu, lv).to_dict(), "disentanglement": dis}
    return out


def _result(latents: dict) -> CompareResult:
    models = [ModelMetrics(name=n, kind=k, prior="p", recon_mse=0.01, recon_rms=0.2,
                           recon_p95=0.3) for n, k in (("a", "ae"), ("b", "vae"))]
    return CompareResult(models=models, data_spec="shapes", n_held_out=30, n_reference=270,
                         hole_threshold=0.25, settings=MetricSettings(), latents=latents)


def test_the_table_shows_latents_and_disentanglement_for_both_models():
    t = compare_views.metrics_table(_result(_latents(True)))
    assert all(len(c) == len(t.rows) for c in t.columns)
    row = t.rows.index("active units (var of mean code > 0.01)")
    assert t.columns[0][row] == "3 of 3" and t.columns[1][row] == "3 of 3"
    kl = t.rows.index("KL (nats, sum over dims)")
    assert t.columns[0][kl] == "- (AE)" and float(t.columns[1][kl]) > 0
    mig = t.rows.index("MIG")
    assert "[" in t.columns[0][mig] and "[" in t.columns[1][mig]
    assert t.rows[-1] == "FactorVAE score"


def test_without_factors_only_the_diagnostics_are_shown():
    rows = [title for title, _ in latent_rows(_latents(False), ["a", "b"])]
    assert rows == ["active units (var of mean code > 0.01)", "KL (nats, sum over dims)",
                    "I(x; z) (nats, Hoffman & Johnson)"]
    assert latent_rows({}, ["a", "b"]) == []
    assert "latents" in _result(_latents(False)).to_dict()
